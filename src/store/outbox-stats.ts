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

/**
 * How long the probe waits for another process's write lock. Short: the connection is
 * synchronous, so a probe that waited out the log's full busy timeout would stall every request
 * behind it; a log locked that long is not ready to take events anyway.
 */
const probeBusyMs = 250;

/**
 * Why the log takes no writes, or undefined when it does (`/readyz`). A write that changes
 * nothing, inside a savepoint rolled back at once: SQLite takes the write lock and checks the
 * file is writable, and nothing reaches the log. A savepoint nests, so the probe also works
 * inside a transaction.
 */
export function writeProbe(db: Db): string | undefined {
  let busyMs: number | undefined;
  try {
    busyMs = db.pragma("busy_timeout", { simple: true }) as number;
    db.pragma(`busy_timeout = ${Math.min(busyMs, probeBusyMs)}`);
    db.exec("SAVEPOINT hookctl_readyz");
    try {
      db.exec("DELETE FROM alert_sinks WHERE 0");
    } finally {
      db.exec("ROLLBACK TO hookctl_readyz; RELEASE hookctl_readyz");
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    if (busyMs !== undefined) db.pragma(`busy_timeout = ${busyMs}`);
  }
}
