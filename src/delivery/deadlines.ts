import { setTimeout as nativeSetTimeout } from "node:timers";

/**
 * An attempt's deadline, signal-shaped (add/removeEventListener, `aborted`, `reason`). A real
 * AbortSignal.timeout per attempt costs a timer, a weak reference and an EventTarget listener;
 * in a loop of loopback requests it cut throughput by about a fifth. One shared timer over all
 * open deadlines does the same job.
 */
export interface DeadlineSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export class Deadline implements DeadlineSignal {
  aborted = false;
  reason: unknown;
  /** True when it fired because time ran out (not because the caller's own signal aborted). */
  expired = false;
  private listener: (() => void) | undefined;
  /** Detaches from the caller's signal, if there is one. */
  detach: (() => void) | undefined;

  constructor(
    readonly at: number,
    private readonly owner: Deadlines,
  ) {}

  addEventListener(_type: "abort", listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    if (this.listener === listener) this.listener = undefined;
  }

  abort(reason: unknown, expired: boolean): void {
    if (this.aborted) return;
    this.aborted = true;
    this.expired = expired;
    this.reason = reason;
    this.owner.clear(this);
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }

  /** The exchange is over: forget it. */
  clear(): void {
    this.owner.clear(this);
  }
}

/** Open deadlines, checked by one timer armed for the earliest of them. */
export class Deadlines {
  private readonly open = new Set<Deadline>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(private readonly monotonic: () => number) {}

  /** A deadline `ms` from now; aborted early if `signal` aborts. */
  start(ms: number, signal?: AbortSignal): Deadline {
    const deadline = new Deadline(this.monotonic() + ms, this);
    if (signal?.aborted) {
      deadline.abort(signal.reason, false);
      return deadline;
    }
    if (signal) {
      const onAbort = () => deadline.abort(signal.reason, false);
      signal.addEventListener("abort", onAbort, { once: true });
      deadline.detach = () => signal.removeEventListener("abort", onAbort);
    }
    this.open.add(deadline);
    if (deadline.at < this.armedFor) this.arm(deadline.at);
    return deadline;
  }

  clear(deadline: Deadline): void {
    deadline.detach?.();
    deadline.detach = undefined;
    this.open.delete(deadline);
    if (this.open.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.armedFor = Number.POSITIVE_INFINITY;
    }
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = nativeSetTimeout(() => this.fire(), Math.max(0, at - this.monotonic()));
    // In-flight sockets keep the process alive; a deadline alone should not.
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.monotonic();
    let earliest = Number.POSITIVE_INFINITY;
    for (const deadline of this.open) {
      if (deadline.at <= now)
        deadline.abort(new DOMException("The operation timed out.", "TimeoutError"), true);
      else earliest = Math.min(earliest, deadline.at);
    }
    if (earliest !== Number.POSITIVE_INFINITY) this.arm(earliest);
  }
}
