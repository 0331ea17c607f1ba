/** Options for a token bucket; `now` is injected so tests drive time. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Most tokens the bucket holds (how many may go back to back); default 1: evenly spaced. */
  burst?: number;
  /** Milliseconds, any monotonic-enough clock. */
  now: () => number;
}

/**
 * A token bucket. It starts full; `take()` either takes a token and returns 0, or returns how
 * many milliseconds until one will be available (taking nothing). It never sleeps itself: the
 * engine's gates park what must wait and wake when the bucket says.
 */
export class TokenBucket {
  private readonly perMs: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError("ratePerSecond must be above 0");
    this.perMs = options.ratePerSecond / 1000;
    this.burst = Math.max(1, options.burst ?? 1);
    this.now = options.now;
    this.tokens = this.burst;
    this.last = options.now();
  }

  /** Take a token: 0 when one was taken, else the ms to wait before asking again. */
  take(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    // The epsilon keeps float noise (1 / (1/3600/1000) = 3600000.0000000005) from adding a ms.
    return Math.ceil((1 - this.tokens) / this.perMs - 1e-6);
  }

  private refill(): void {
    const now = this.now();
    // A clock that steps backwards (tests, NTP) must not drain the bucket.
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
    }
    this.last = now;
  }
}

/** Resolves after `ms`, or early when `signal` aborts; never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** A real timer for {@link Sleep}. */
export function timerSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
