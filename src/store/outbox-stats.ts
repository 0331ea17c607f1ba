import type { Db } from "./open.js";
import { countByStatus, type StatusCounts } from "./queue.js";

/** What `/metrics` reads from the log: every figure that must survive a restart. */
export interface OutboxStats {
  byStatus: StatusCounts;
  /** Pending deliveries due at `now`. */
  due: number;
  /** The earliest next_attempt_at of those, null when none is due. */
  oldestDueAt: number | null;
  /** Dead-letter alerts queued and not yet sent. */
  alertsPending: number;
}

/**
 * The due backlog, from the partial index on pending rows (covering: only next_attempt_at is
 * read). INDEXED BY: without statistics SQLite prefers (status, id) and would visit every
 * pending row's table entry.
 */
export const dueSql = `SELECT COUNT(*) AS due, MIN(next_attempt_at) AS oldest FROM deliveries INDEXED BY deliveries_due
  WHERE status = 'pending' AND next_attempt_at <= ?`;

/** Pending alerts, from the partial index alerts_due (pending rows only). */
export const alertsPendingSql = "SELECT COUNT(*) FROM alerts WHERE status = 'pending'";

/** The log's side of the metrics, in three index-only queries. */
export function outboxStats(db: Db, now: number): OutboxStats {
  const due = db.prepare(dueSql).get(now) as { due: number; oldest: number | null };
  return {
    byStatus: countByStatus(db),
    due: due.due,
    oldestDueAt: due.oldest,
    alertsPending: db.prepare(alertsPendingSql).pluck().get() as number,
  };
}
