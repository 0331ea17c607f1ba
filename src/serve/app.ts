import type { LogHandle } from "../store/log-handle.js";
import type { DeliveryReads } from "../store/ports/deliveries.js";
import type { OutboxStore } from "../store/ports/outbox.js";

/**
 * What the outbox's handlers share: the log, the injected clock and ids, the engine's state and
 * the counters `/metrics` reports. One per `serve` process.
 */
export interface ServeApp {
  /** The log, on either backend; several `serve` processes may share a PostgreSQL one. */
  log: LogHandle;
  outbox: OutboxStore;
  reads: DeliveryReads;
  now: () => number;
  /** A fresh time-sortable id with this prefix (`evt`, `dlv`). */
  newId: (prefix: string) => string;
  /** Due work was just committed: the engine claims it now rather than at its next poll. */
  wake: () => void;
  /** The background engine is running (not stopped, not failed): `/readyz`. */
  engineRunning: () => boolean;
  /** Largest request body accepted, in bytes (413 past it). */
  maxBodyBytes: number;
  /** How long an idempotency key is kept (and shown with its event). */
  idempotencyTtlMs: number;
  stats: ServeStats;
}

/** Counters this process keeps since it started (the log holds the rest). */
export interface ServeStats {
  /** Events accepted (202, not counting repeats of an idempotency key). */
  acceptedEvents: number;
  /** Repeats answered from an idempotency key. */
  duplicateEvents: number;
  /** Attempts the engine finished, by outcome: succeeded, retry, dead, lost. */
  attempts: Record<"succeeded" | "retry" | "dead" | "lost", number>;
  /** Dead-letter alerts sent and failed (each failed try counts). */
  alerts: Record<"sent" | "failed", number>;
}

/** Idempotency keys are honoured and kept this long by default (`serve --idempotency-ttl`). */
export const defaultIdempotencyTtlMs = 24 * 60 * 60 * 1000;

export function emptyStats(): ServeStats {
  return {
    acceptedEvents: 0,
    duplicateEvents: 0,
    attempts: { succeeded: 0, retry: 0, dead: 0, lost: 0 },
    alerts: { sent: 0, failed: 0 },
  };
}
