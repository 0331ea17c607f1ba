/**
 * How failing alerts are retried: 1 s, 2 s, 4 s … doubling up to a 5-minute cap, without jitter
 * (one process retries a handful of alerts, no herd to spread). An alert is given up (`failed`
 * in the log) once it has failed at least `minAttempts` times and a day has passed since the
 * delivery died: a sink that was down for a day has been tried for a day, and one whose process
 * was not running meanwhile still gets its ten tries before it is given up.
 */
export interface AlertRetryPolicy {
  initialMs: number;
  maxDelayMs: number;
  giveUpAfterMs: number;
  minAttempts: number;
}

export const defaultAlertRetry: AlertRetryPolicy = {
  initialMs: 1000,
  maxDelayMs: 5 * 60 * 1000,
  giveUpAfterMs: 24 * 60 * 60 * 1000,
  minAttempts: 10,
};

/** The wait after the `failures`-th failed try (from 1). */
export function alertRetryDelay(failures: number, policy: AlertRetryPolicy = defaultAlertRetry): number {
  // 2^30 s is past any cap: no need to grow the power further (and no Infinity).
  return Math.min(policy.maxDelayMs, policy.initialMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

/** Whether, after its `failures`-th failed try at `now`, an alert queued at `createdAt` is given up. */
export function alertGivesUp(
  failures: number,
  createdAt: number,
  now: number,
  policy: AlertRetryPolicy = defaultAlertRetry,
): boolean {
  return failures >= policy.minAttempts && now - createdAt >= policy.giveUpAfterMs;
}
