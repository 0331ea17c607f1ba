import type { PendingSchedule } from "../store/pending-schedules.js";
import { mergePolicy, parsePolicy, type RetryPolicy, remainingMaxMs } from "./policy.js";

/**
 * When the schedule's last attempt can be at the latest if every attempt fails: each group's
 * latest due time plus the largest delays of its retries left (Retry-After and attempt time
 * aside). Null when nothing is pending.
 */
export function scheduleHorizon(
  groups: readonly PendingSchedule[],
  override: Partial<RetryPolicy> | undefined,
  now: number,
): number | null {
  let latest: number | null = null;
  for (const group of groups) {
    let policy: RetryPolicy;
    try {
      policy = mergePolicy(parsePolicy(group.policy), override);
    } catch {
      // A damaged row is never sent: it does not lengthen the schedule.
      continue;
    }
    const end = Math.max(now, group.latestAt) + remainingMaxMs(policy, group.scheduleAttempts);
    latest = latest === null ? end : Math.max(latest, end);
  }
  return latest;
}
