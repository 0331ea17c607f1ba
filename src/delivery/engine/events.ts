import type { AttemptRecord, AttemptTrigger, ErrorClass } from "../../store/types.js";
import type { DeadReason } from "../policy.js";

/**
 * What the scheduler reports while it runs. It never prints: `replay` renders these as a live
 * TTY status, one line per attempt, or one JSON object per line. Every `at` is ms since the epoch.
 */
export type SchedulerEvent =
  | { type: "started"; at: number; pending: number; reclaimed: number; watch: boolean }
  | { type: "reclaimed"; at: number; count: number }
  | ({ type: "attempt-started" } & AttemptIdentity)
  | ({
      type: "attempt-finished";
      statusCode: number | null;
      errorClass: ErrorClass | null;
      error: string | null;
      durationMs: number;
      /** retry: scheduled again at nextAttemptAt; lost: the lease was taken over, nothing recorded. */
      result: "succeeded" | "retry" | "dead" | "lost";
      nextAttemptAt: number | null;
      /** Why, when `result` is dead. */
      deadReason: DeadReason | null;
      /** The attempt as recorded (or, when lost, as made). */
      record: AttemptRecord;
    } & AttemptIdentity)
  | { type: "delivery-succeeded"; at: number; deliveryId: string; attempts: number }
  | {
      type: "delivery-dead";
      at: number;
      deliveryId: string;
      reason: DeadReason | "damaged";
      attempts: number;
      error: string | null;
    }
  | { type: "rate-limited"; at: number; endpointId: string; endpoint: string; until: number }
  /**
   * Nothing is running: the next due attempt is at `until` (null: nothing is scheduled), of
   * delivery `next`.
   */
  | { type: "idle"; at: number; until: number | null; next: string | null; pending: number }
  | ({ type: "counts"; at: number } & SchedulerCounts)
  /**
   * Watching: the log could not be read or written (`error` says why, in one line); this run
   * ended and another starts at `retryAt`. Nothing stored is lost.
   */
  | { type: "store-unavailable"; at: number; error: string; retryAt: number }
  | ({ type: "stopped"; at: number; reason: StopReason } & SchedulerCounts);

/** Which attempt an attempt-started or attempt-finished event is about. */
export interface AttemptIdentity {
  at: number;
  deliveryId: string;
  eventType: string;
  url: string;
  attempt: number;
  trigger: AttemptTrigger;
}

/** done: nothing left (or, with dueBy, nothing left due); time-limit: stopAt was reached. */
export type StopReason = "done" | "interrupted" | "time-limit";

export interface SchedulerCounts {
  /** Pending deliveries in the log (or in the requeued set), due or not. */
  pending: number;
  /** Attempts this scheduler has running now. */
  inFlight: number;
  /** Deliveries that succeeded / became dead during this run. */
  succeeded: number;
  dead: number;
  /** Attempts made during this run. */
  attempts: number;
  /** The earliest scheduled attempt that is not running yet, if any. */
  nextAttemptAt: number | null;
}

export interface SchedulerResult extends SchedulerCounts {
  outcome: StopReason;
  /** Attempts whose lease was lost before they could be recorded (another scheduler took over). */
  lost: number;
}
