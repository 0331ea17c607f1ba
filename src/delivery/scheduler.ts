import { Engine, type EngineDeps, type EngineOptions } from "./engine/engine.js";
import type { SchedulerResult } from "./engine/events.js";
import { LogSource, type LogSourceOptions } from "./engine/log-source.js";
import { type Earlier, rideOutOutages, withEarlier } from "./ride-out.js";

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

/**
 * Counting pending rows walks an index: cheap on a small log, a quarter of a second on a million
 * rows. Between counts the last one, less what this run finished since, stands in; a count is
 * made again once a hundred times its own cost has passed, so counting never takes more than
 * about 1% of the run. The estimate misses rows that were in flight when counted and went back
 * to pending (a retry scheduled): `fresh` counts, for what a person reads as the answer (the
 * run's last line, a wait).
 */
export function pendingCounter(
  count: () => Promise<number>,
  now: () => number,
): (finished: number, fresh?: boolean) => Promise<number> {
  let last: { value: number; finished: number; at: number; costMs: number } | undefined;
  return async (finished, fresh = false) => {
    const t = now();
    if (!fresh && last && t - last.at < Math.max(250, 100 * last.costMs)) {
      return Math.max(0, last.value - (finished - last.finished));
    }
    const value = await count();
    last = { value, finished, at: t, costMs: now() - t };
    return value;
  };
}
