import type { Db } from "./open.js";

/** Pending deliveries grouped by what decides how long they can still run. */
export interface PendingSchedule {
  policy: string | null;
  scheduleAttempts: number;
  /** The latest next_attempt_at in the group. */
  latestAt: number;
}

/**
 * One row per (policy, schedule attempts) among pending deliveries (all of them, or `scope`): a
 * log of any size gives a handful of rows, enough to say how long its schedule can still run.
 */
export function pendingSchedules(db: Db, scope?: readonly string[]): PendingSchedule[] {
  const inScope = scope ? "AND id IN (SELECT value FROM json_each(@scope))" : "";
  const rows = db
    .prepare(`SELECT policy, schedule_attempts AS scheduleAttempts, MAX(next_attempt_at) AS latestAt
      FROM deliveries WHERE status = 'pending' AND next_attempt_at IS NOT NULL ${inScope}
      GROUP BY policy, schedule_attempts`)
    .all(scope ? { scope: JSON.stringify(scope) } : {}) as PendingSchedule[];
  return rows;
}
