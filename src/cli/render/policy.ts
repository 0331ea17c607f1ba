import { formatDuration } from "../../config/duration.js";
import { effectiveFactor, type RetryPolicy } from "../../delivery/policy.js";

/** A retry policy in words: "10 retries, 1s to 1h ×2.48 (derived), jitter 20%". */
export function policyWords(policy: RetryPolicy): string {
  const factor = `×${effectiveFactor(policy).toFixed(2)}${policy.factor === null ? " (derived)" : ""}`;
  const retries = `${policy.retries} ${policy.retries === 1 ? "retry" : "retries"}`;
  return `${retries}, ${formatDuration(policy.initialMs)} to ${formatDuration(policy.maxDelayMs)} ${factor}, jitter ${Math.round(policy.jitter * 100)}%`;
}
