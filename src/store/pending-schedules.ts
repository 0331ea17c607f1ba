import type { Scope, ScopeSet } from "./engine-port.js";
import type { Db } from "./open.js";
import { scopeSetTable } from "./queue.js";

/** Pending deliveries grouped by what decides how long they can still run. */
export interface PendingSchedule {
  policy: string | null;
  scheduleAttempts: number;
  /** The latest next_attempt_at in the group. */
  latestAt: number;
}

/** Scope ids per query: a requeued million would otherwise be one 30 MB JSON string. */
const scopeChunk = 10_000;

/**
 * One row per (policy, schedule attempts) among pending deliveries (all of them, or `scope`): a
 * log of any size gives a handful of rows, enough to say how long its schedule can still run.
 */
export function pendingSchedules(db: Db, scope?: Scope): PendingSchedule[] {
  const query = (inScope: string) =>
    db.prepare(`SELECT policy, schedule_attempts AS scheduleAttempts, MAX(next_attempt_at) AS latestAt
      FROM deliveries WHERE status = 'pending' AND next_attempt_at IS NOT NULL ${inScope}
      GROUP BY policy, schedule_attempts`);
  if (!scope) return query("").all() as PendingSchedule[];
  if (!Array.isArray(scope)) {
    return query(`AND id IN (SELECT id FROM ${scopeSetTable(scope as ScopeSet)})`).all() as PendingSchedule[];
  }
  const statement = query("AND id IN (SELECT value FROM json_each(@scope))");
  const groups = new Map<string, PendingSchedule>();
  for (let start = 0; start < scope.length; start += scopeChunk) {
    const chunk = JSON.stringify(scope.slice(start, start + scopeChunk));
    for (const row of statement.all({ scope: chunk }) as PendingSchedule[]) {
      const key = `${row.scheduleAttempts}\u0000${row.policy}`;
      const seen = groups.get(key);
      if (!seen || row.latestAt > seen.latestAt) groups.set(key, row);
    }
  }
  return [...groups.values()];
}
