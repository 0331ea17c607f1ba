import { Engine, type EngineDeps, type EngineOptions } from "./engine/engine.js";
import type { SchedulerResult } from "./engine/events.js";
import { LogSource, type LogSourceOptions } from "./engine/log-source.js";

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
  const { scope, watch, pollMs, dueBy, ...engine } = options;
  const source = new LogSource(deps.store, { scope, watch, pollMs, dueBy, emit: options.onEvent });
  return new Engine(deps, source, {
    ...engine,
    watch,
    pendingCount: () => deps.store.pendingCount(scope),
  }).run();
}
