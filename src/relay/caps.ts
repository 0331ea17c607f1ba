/** The relay's caps for a channel that sets none of its own. */
export interface RelayDefaults {
  maxBodyBytes: number;
  ratePerSecond: number;
  maxStoredBytes: number;
}

export const relayDefaults: RelayDefaults = {
  maxBodyBytes: 1024 * 1024,
  ratePerSecond: 20,
  maxStoredBytes: 512 * 1024 * 1024,
};

/** A channel may burst this many seconds' worth of its rate before 429s start. */
const burstSeconds = 2;

/** The burst a rate allows: two seconds' worth, at least one request. */
export function burstOf(ratePerSecond: number): number {
  return Math.max(1, Math.ceil(ratePerSecond * burstSeconds));
}

/**
 * Per-channel token buckets (in memory: a restart refills them). `take` answers 0 when the
 * request may pass, else how many milliseconds until it would.
 */
export function rateGate(now: () => number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(channel: string, ratePerSecond: number): number {
      const burst = burstOf(ratePerSecond);
      const at = now();
      const bucket = buckets.get(channel) ?? { tokens: burst, at };
      bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, at - bucket.at) / 1000) * ratePerSecond);
      bucket.at = at;
      buckets.set(channel, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - bucket.tokens) / ratePerSecond) * 1000);
    },
    forget(channel: string): void {
      buckets.delete(channel);
    },
  };
}
