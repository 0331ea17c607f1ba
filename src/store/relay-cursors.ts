import type { Db } from "./open.js";

/**
 * relay_cursors: how far `listen --from` has captured each relay channel on this laptop. A row
 * moves only together with the captured request it names (same transaction), so after any crash
 * the cursor is the last request in the log, and a restart resumes right after it.
 */

/**
 * Move a source's cursor to `seq`, from `previous` only (null: from wherever it is). Parameters:
 * source, seq, at, previous, previous. A cursor that is not at `previous` (an earlier write
 * failed) stays put: requests after a gap are captured again on the next connection rather than
 * skipped.
 */
export const advanceRelayCursorSql = `INSERT INTO relay_cursors (source, acked_seq, updated_at) VALUES (?, ?, ?)
  ON CONFLICT (source) DO UPDATE SET acked_seq = max(acked_seq, excluded.acked_seq), updated_at = excluded.updated_at
  WHERE ? IS NULL OR acked_seq >= ?`;

export interface CursorAdvance {
  source: string;
  seq: number;
  previous: number | null;
  at: number;
}

/** A cursor move as advanceRelayCursorSql's parameters. */
export function relayCursorParams(mark: CursorAdvance): unknown[] {
  return [mark.source, mark.seq, mark.at, mark.previous, mark.previous];
}

/** Several moves in one transaction (the caller's own connection). */
export function advanceRelayCursors(db: Db, marks: readonly CursorAdvance[]): void {
  const statement = db.prepare(advanceRelayCursorSql);
  db.transaction(() => {
    for (const mark of marks) statement.run(relayCursorParams(mark));
  })();
}

/**
 * Forget how far `source` was captured (`listen --from-start`): the next connection takes the
 * channel from its first stored request. Captured requests stay in the log.
 */
export function forgetRelayCursor(db: Db, source: string): void {
  db.prepare("DELETE FROM relay_cursors WHERE source = ?").run(source);
}

/** The last seq captured from `source`, or null when none was. */
export function readRelayCursor(db: Db, source: string): number | null {
  const row = db.prepare("SELECT acked_seq FROM relay_cursors WHERE source = ?").pluck().get(source);
  return typeof row === "number" ? row : null;
}
