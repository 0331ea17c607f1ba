/** Longest single sleep: setTimeout's limit is ~24.8 days, and waking hourly costs nothing. */
const maxSleepMs = 60 * 60 * 1000;

/**
 * How the engine loop waits: until a time (the next due attempt, a commit window, a renewal),
 * until something happens (`ring`: an attempt finished), or until the run is aborted, whichever
 * comes first. The timer is the injected `sleep`, so tests drive time. One timer stays armed
 * across waits while its deadline still serves, so a busy loop does not build one per wake-up.
 */
export class Alarm {
  private rung = false;
  private wake: (() => void) | undefined;
  private timer: { at: number; stop: AbortController } | undefined;

  constructor(
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>,
    private readonly now: () => number,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener("abort", () => this.ring(), { once: true });
  }

  /** Something changed: the current (or next) wait ends at once. */
  ring(): void {
    this.rung = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Wait until `at` (ms since the epoch; undefined: no deadline), a ring, or an abort. */
  async wait(at: number | undefined): Promise<void> {
    if (!this.rung && !this.signal.aborted) {
      if (at !== undefined) this.arm(at);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    this.rung = false;
  }

  /** Stop the timer (the run is over). */
  close(): void {
    this.timer?.stop.abort();
    this.timer = undefined;
  }

  private arm(at: number): void {
    // An armed timer due no later than `at` wakes the loop first, and it then arms again.
    if (this.timer && this.timer.at <= at) return;
    this.timer?.stop.abort();
    const timer = { at, stop: new AbortController() };
    this.timer = timer;
    const ms = Math.min(Math.max(0, at - this.now()), maxSleepMs);
    void this.sleep(ms, timer.stop.signal)
      .catch(() => undefined)
      .then(() => {
        if (this.timer !== timer) return;
        this.timer = undefined;
        this.ring();
      });
  }
}
