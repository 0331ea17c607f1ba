/** How long to wait before reconnect attempt `attempt` (0-based) after a failed or lost connection. */
export interface ReconnectBackoff {
  initialMs: number;
  maxMs: number;
  /** ± this share of the delay, drawn at random, so many listeners do not reconnect in step. */
  jitter: number;
}

export const reconnectDefaults: ReconnectBackoff = { initialMs: 500, maxMs: 30_000, jitter: 0.2 };

/** Doubling from `initialMs` up to `maxMs`, then jittered within ± `jitter`. */
export function reconnectDelay(attempt: number, random: () => number, backoff = reconnectDefaults): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - backoff.jitter + 2 * backoff.jitter * random()));
}
