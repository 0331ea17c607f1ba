/** Longest single sleep: setTimeout's limit is ~24.8 days, and waking hourly costs nothing. */
const maxSleepMs = 60 * 60 * 1000;
/** A fixed reason, so waking does not build an AbortError each time. */
const wakeReason = new Error("wake");

/**
 * How the scheduler loop waits: for a timer (the next due attempt, a poll), for an attempt to
 * finish (`ring`), or for the run to be aborted, whichever comes first. The timer is the
 * injected `sleep`, so tests drive time; a ring that comes before the wait starts is not lost.
 */
export class Alarm {
  private rung = false;
  private waker: AbortController | undefined;

  constructor(
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>,
    private readonly signal: AbortSignal,
  ) {}

  /** Something changed: the current (or next) wait ends at once. */
  ring(): void {
    this.rung = true;
    this.waker?.abort(wakeReason);
  }

  /** Whether anything rang since the last `reset`. */
  get pending(): boolean {
    return this.rung;
  }

  reset(): void {
    this.rung = false;
  }

  /** Wait up to `delayMs` (undefined: until a ring or an abort). */
  async wait(delayMs: number | undefined): Promise<void> {
    if (this.rung || this.signal.aborted) return;
    const waker = new AbortController();
    this.waker = waker;
    const onAbort = () => waker.abort();
    this.signal.addEventListener("abort", onAbort, { once: true });
    try {
      if (delayMs === undefined) {
        await new Promise<void>((resolve) =>
          waker.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
      } else {
        await this.sleep(Math.min(delayMs, maxSleepMs), waker.signal).catch(() => undefined);
      }
    } finally {
      this.signal.removeEventListener("abort", onAbort);
      this.waker = undefined;
    }
  }
}
