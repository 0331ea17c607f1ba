import * as z from "zod/mini";
import { alertFailedEvent, alertSentEvent } from "./alert.js";
import { deliveryStatus, instant } from "./common.js";
import { attempt, delivery } from "./delivery.js";

const counts = {
  pending: z.int(),
  inFlight: z.int(),
  succeeded: z.int(),
  dead: z.int(),
  attempts: z.int(),
};

/**
 * `replay --json`: one object per line, told apart by `type`. Each finished attempt comes with
 * the attempt and the delivery as that attempt left it.
 */
export const replayEvent = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("started"),
    at: instant,
    pending: z.int(),
    reclaimed: z.int(),
    watch: z.boolean(),
  }),
  z.object({ type: z.literal("reclaimed"), at: instant, count: z.int() }),
  /** A damaged row moved to the dead letters without an attempt (its `damage` says why). */
  z.object({ type: z.literal("shelved"), at: instant, delivery }),
  z.object({
    type: z.literal("attempt"),
    at: instant,
    /** retry: scheduled again; lost: another scheduler took the lease over, nothing was recorded. */
    result: z.enum(["succeeded", "retry", "dead", "lost"]),
    attempt,
    delivery,
  }),
  z.object({ type: z.literal("rate-limited"), at: instant, endpoint: z.string(), until: instant }),
  z.object({ type: z.literal("idle"), at: instant, until: z.nullable(instant), pending: z.int() }),
  /**
   * `--watch` (and `serve`): the log could not be read or written (a PostgreSQL server
   * restarting, a lock held, a full disk); the run goes on at `retryAt`. Nothing stored is lost.
   */
  z.object({ type: z.literal("store-unavailable"), at: instant, error: z.string(), retryAt: instant }),
  z.object({
    type: z.literal("stopped"),
    at: instant,
    /** time-limit: `replay --for` ran its time; what is left stays scheduled. */
    reason: z.enum(["done", "interrupted", "time-limit"]),
    ...counts,
    nextAttemptAt: z.nullable(instant),
  }),
  /** With --on-dead / --alert-url: a dead-letter alert confirmed by its sink, or a failed try. */
  alertSentEvent,
  alertFailedEvent,
]);

/** `replay <ids> --dry-run`, `dlq requeue --dry-run`: what would be requeued, one per line. */
export const wouldRequeue = z.object({
  outcome: z.literal("would-requeue"),
  delivery,
  /** Where it would be sent. */
  to: z.string(),
  /** In flight under a live lease: a real requeue would skip it. */
  skipped: z.boolean(),
});

/** `replay <ids>`, `dlq requeue`: what happened to each delivery asked for. */
export const requeueResult = z.discriminatedUnion("outcome", [
  z.object({
    outcome: z.literal("requeued"),
    /** The id asked for. */
    id: z.string(),
    /** The delivery that will run: `id` itself, or a new one with --new-id. */
    deliveryId: z.string(),
    previousStatus: deliveryStatus,
    url: z.string(),
  }),
  z.object({ outcome: z.literal("skipped"), id: z.string(), reason: z.enum(["not-found", "leased"]) }),
]);

/** `dlq purge --dry-run`: a dead letter that would be deleted. */
export const wouldPurge = z.object({ outcome: z.literal("would-purge"), delivery });

/** `dlq purge`: how many were deleted, and which. */
export const purgeResult = z.object({ purged: z.int(), ids: z.array(z.string()) });

export type ReplayEventJson = z.infer<typeof replayEvent>;
export type WouldRequeueJson = z.infer<typeof wouldRequeue>;
export type RequeueResultJson = z.infer<typeof requeueResult>;
