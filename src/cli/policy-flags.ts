import type { Command } from "commander";
import { formatDuration } from "../config/duration.js";
import { defaultPolicy, effectiveFactor, type RetryPolicy } from "../delivery/policy.js";
import { durationArg, integerArg, numberArg } from "./parsers.js";

export interface PolicyFlagValues {
  retries?: number;
  initial?: number;
  maxDelay?: number;
  factor?: number;
  jitter?: number;
  retry4xx?: boolean;
}

/** The retry-policy flags shared by send, endpoint add, replay and backoff. */
export function addPolicyOptions(command: Command): Command {
  return command
    .option(
      "--retries <n>",
      `retries after the first attempt before a delivery is dead (default: ${defaultPolicy.retries})`,
      integerArg(0, 100),
    )
    .option(
      "--initial <duration>",
      `delay before the first retry (default: ${formatDuration(defaultPolicy.initialMs)})`,
      durationArg,
    )
    .option(
      "--max-delay <duration>",
      `cap on any one delay (default: ${formatDuration(defaultPolicy.maxDelayMs)})`,
      durationArg,
    )
    .option(
      "--factor <x>",
      `growth per retry (default: derived so the last retry waits the cap; ×${effectiveFactor(defaultPolicy).toFixed(2)} with the other defaults)`,
      numberArg(1, 100),
    )
    .option(
      "--jitter <j>",
      `random spread, each delay times [1-j, 1+j] (default: ${defaultPolicy.jitter})`,
      numberArg(0, 0.99),
    )
    .option("--retry-4xx", "also retry 4xx answers that say the request is wrong (400, 401, 404, 422, …)");
}

/** Only the fields the user set, to overlay on an endpoint's or the default policy. */
export function policyOverride(values: PolicyFlagValues): Partial<RetryPolicy> {
  const override: Partial<RetryPolicy> = {};
  if (values.retries !== undefined) override.retries = values.retries;
  if (values.initial !== undefined) override.initialMs = values.initial;
  if (values.maxDelay !== undefined) override.maxDelayMs = values.maxDelay;
  if (values.factor !== undefined) override.factor = values.factor;
  if (values.jitter !== undefined) override.jitter = values.jitter;
  if (values.retry4xx === true) override.retry4xx = true;
  return override;
}
