import { isTransientStoreFault, storeFault } from "../store/write-errors.js";
import type { Engine, EngineDeps } from "./engine/engine.js";
import type { SchedulerEvent, SchedulerResult } from "./engine/events.js";
import type { Tally } from "./engine/report.js";
import type { SchedulerOptions } from "./scheduler.js";

/** Earlier runs' tally, and the pending count last reported (all there is while the log is away). */
export type Earlier = Tally & { pending: number };

/** A run's counts and summary as the whole scheduler's: its own plus what earlier runs finished. */
export function withEarlier(
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
export async function rideOutOutages(
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
