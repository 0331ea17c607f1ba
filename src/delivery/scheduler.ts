import { isTransientStoreFault, storeFault } from "../store/write-errors.js";
import { Engine, type EngineDeps, type EngineOptions } from "./engine/engine.js";
import type { SchedulerEvent, SchedulerResult } from "./engine/events.js";
import { LogSource, type LogSourceOptions } from "./engine/log-source.js";
import type { Tally } from "./engine/report.js";

export type { EngineDeps as SchedulerDeps } from "./engine/engine.js";
export type { SchedulerCounts, SchedulerEvent, SchedulerResult } from "./engine/events.js";
export type { RateLimiter } from "./engine/gates.js";

export type SchedulerOptions = Omit<EngineOptions, "pendingCount" | "runRate"> &
  Omit<LogSourceOptions, "emit">;

/**
 * `replay`: the engine over the log's due deliveries (or a requeued set). Returns when nothing
 * is pending or in flight (never, with `watch`, until aborted); on abort it stops claiming and
 * lets running attempts finish.
 */
export function runScheduler(deps: EngineDeps, options: SchedulerOptions = {}): Promise<SchedulerResult> {
  return startScheduler(deps, options).done;
}

/** A running scheduler: its outcome, and a way to say "new work is in the log" (`serve`). */
export interface RunningScheduler {
  done: Promise<SchedulerResult>;
  /** Claim again now rather than at the next poll: this process just committed due work. */
  wake(): void;
}

export function startScheduler(deps: EngineDeps, options: SchedulerOptions = {}): RunningScheduler {
  const { scope, watch, pollMs, dueBy, ...engine } = options;
  /** What earlier runs of a watching scheduler finished, before an outage ended them. */
  const earlier: Earlier = { succeeded: 0, dead: 0, attempts: 0, lost: 0, pending: 0 };
  const onEvent = options.onEvent && watch ? withEarlier(options.onEvent, earlier) : options.onEvent;
  let current: { source: LogSource; runner: Engine } | undefined;
  const runOnce = () => {
    const source = new LogSource(deps.store, { scope, watch, pollMs, dueBy, emit: onEvent });
    const runner = new Engine(deps, source, {
      ...engine,
      onEvent,
      watch,
      pendingCount: pendingCounter(() => deps.store.pendingCount(scope), deps.now),
    });
    current = { source, runner };
    return runner;
  };
  const wake = () => {
    current?.source.wake();
    current?.runner.wake();
  };
  const stopListening = deps.store.onWork?.(wake);
  const done = watch ? rideOutOutages(runOnce, earlier, deps, options) : runOnce().run();
  return { done: stopListening ? done.finally(stopListening) : done, wake };
}

/** Earlier runs' tally, and the pending count last reported (all there is while the log is away). */
type Earlier = Tally & { pending: number };

/** A run's counts and summary as the whole scheduler's: its own plus what earlier runs finished. */
function withEarlier(
  emit: (event: SchedulerEvent) => void,
  earlier: Earlier,
): (event: SchedulerEvent) => void {
  return (event) => {
    if ("pending" in event) earlier.pending = event.pending;
    if (event.type !== "counts" && event.type !== "stopped") return emit(event);
    emit({
      ...event,
      succeeded: event.succeeded + earlier.succeeded,
      dead: event.dead + earlier.dead,
      attempts: event.attempts + earlier.attempts,
    });
  };
}

/** The first wait after the log became unavailable; it doubles up to outageMaxDelayMs. */
export const outageFirstDelayMs = 1000;
export const outageMaxDelayMs = 30_000;
/** A run that lasted this long before failing was not part of the same outage: waits start over. */
const outageResetMs = 60_000;

/**
 * A watching scheduler (`replay --watch`, `serve`) outlives its log being unavailable for a while
 * (a PostgreSQL server restarting, a lock held, a full disk): the run that failed ends, and a new
 * one starts after a growing wait, reclaiming what the failed one held once its leases lapse.
 * Nothing stored is lost meanwhile; an attempt whose record could not be written is made again
 * (same delivery id). Other errors, and an abort, end it as before.
 */
async function rideOutOutages(
  runOnce: () => Engine,
  earlier: Earlier,
  deps: EngineDeps,
  options: SchedulerOptions,
): Promise<SchedulerResult> {
  const signal = options.signal ?? new AbortController().signal;
  let delayMs = outageFirstDelayMs;
  for (;;) {
    const runner = runOnce();
    const startedAt = deps.now();
    try {
      const result = await runner.run();
      return {
        ...result,
        succeeded: result.succeeded + earlier.succeeded,
        dead: result.dead + earlier.dead,
        attempts: result.attempts + earlier.attempts,
        lost: result.lost + earlier.lost,
      };
    } catch (error) {
      if (signal.aborted || !isTransientStoreFault(error)) throw error;
      for (const key of ["succeeded", "dead", "attempts", "lost"] as const)
        earlier[key] += runner.progress[key];
      const at = deps.now();
      if (at - startedAt >= outageResetMs) delayMs = outageFirstDelayMs;
      const reason = storeFault(error)?.message ?? (error as Error).message;
      options.onEvent?.({ type: "store-unavailable", at, error: reason, retryAt: at + delayMs });
      await deps.sleep(delayMs, signal);
      delayMs = Math.min(outageMaxDelayMs, delayMs * 2);
      if (signal.aborted) return interruptedWhileAway(earlier, deps.now(), options.onEvent);
    }
  }
}

/** Stopped while waiting for the log: what earlier runs did, and the pending count last known. */
function interruptedWhileAway(
  earlier: Earlier,
  at: number,
  emit: ((event: SchedulerEvent) => void) | undefined,
): SchedulerResult {
  const { succeeded, dead, attempts, lost, pending } = earlier;
  const counts = { pending, inFlight: 0, succeeded, dead, attempts, nextAttemptAt: null };
  emit?.({ type: "stopped", at, reason: "interrupted", ...counts });
  return { outcome: "interrupted", lost, ...counts };
}

/**
 * Counting pending rows walks an index: cheap on a small log, a quarter of a second on a million
 * rows. Between counts the last one, less what this run finished since, stands in; a count is
 * made again once a hundred times its own cost has passed, so counting never takes more than
 * about 1% of the run (and progress stays exact on small logs).
 */
export function pendingCounter(
  count: () => Promise<number>,
  now: () => number,
): (finished: number) => Promise<number> {
  let last: { value: number; finished: number; at: number; costMs: number } | undefined;
  return async (finished) => {
    const t = now();
    if (last && t - last.at < Math.max(250, 100 * last.costMs)) {
      return Math.max(0, last.value - (finished - last.finished));
    }
    const value = await count();
    last = { value, finished, at: t, costMs: now() - t };
    return value;
  };
}
