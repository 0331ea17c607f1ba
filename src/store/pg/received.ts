import type { ReceivedStore } from "../ports/received.js";
import {
  type ListReceivedOptions,
  type ReceivedRecord,
  type ReceivedRow,
  type ReceivedSummaryRow,
  receivedParams,
  receivedRowOf,
  receivedSummaryOf,
  summaryColumns,
} from "../received.js";
import type { CursorAdvance } from "../relay-cursors.js";
import type { ListenerHold } from "../relay-listeners.js";
import type { PgPool } from "./connect.js";
import { inTransaction } from "./transaction.js";

const columns = `id, received_at, method, path, headers, body, delivery_id, event_type, verification,
  verification_reason, scheme, duplicate, response_status, injected, duration_ms`;
const perRow = 15;
/** Rows per INSERT: PostgreSQL takes at most 65535 parameters in one statement. */
const maxRows = Math.floor(65_535 / perRow);

/** As advanceRelayCursorSql: the cursor moves only from `previous` ($4; null: from anywhere). */
const advanceCursorSql = `INSERT INTO relay_cursors (source, acked_seq, updated_at) VALUES ($1, $2, $3)
  ON CONFLICT (source) DO UPDATE SET acked_seq = greatest(relay_cursors.acked_seq, excluded.acked_seq),
    updated_at = excluded.updated_at
  WHERE $4::bigint IS NULL OR relay_cursors.acked_seq >= $4::bigint`;

/** store/received.ts on PostgreSQL: a group of captures is one transaction, one INSERT. */
export class PgReceivedStore implements ReceivedStore {
  constructor(private readonly pool: PgPool) {}

  async captureReceived(records: readonly ReceivedRecord[], cursors: readonly CursorAdvance[] = []) {
    await inTransaction(this.pool, async (client) => {
      for (let start = 0; start < records.length; start += maxRows) {
        const chunk = records.slice(start, start + maxRows);
        // Identity values follow the VALUES order: `arrival` keeps the order requests were answered.
        const values = chunk.map(
          (_, row) =>
            `(${Array.from({ length: perRow }, (_, col) => `$${row * perRow + col + 1}`).join(", ")})`,
        );
        await client.query(
          `INSERT INTO received (${columns}) VALUES ${values.join(", ")}`,
          chunk.flatMap(receivedParams),
        );
      }
      for (const mark of mergeRuns(cursors)) {
        await client.query(advanceCursorSql, [mark.source, mark.seq, mark.at, mark.previous]);
      }
    });
  }

  async listReceived(options: ListReceivedOptions = {}): Promise<ReceivedSummaryRow[]> {
    const limit = options.limit ?? 50;
    const { rows } = options.deliveryId
      ? await this.pool.query(
          `SELECT ${summaryColumns} FROM received WHERE delivery_id = $1 ORDER BY arrival DESC LIMIT $2`,
          [options.deliveryId, limit],
        )
      : await this.pool.query(`SELECT ${summaryColumns} FROM received ORDER BY arrival DESC LIMIT $1`, [
          limit,
        ]);
    return rows.map(receivedSummaryOf);
  }

  async getReceived(id: string): Promise<ReceivedRow | undefined> {
    const { rows } = await this.pool.query(`SELECT ${columns} FROM received WHERE id = $1`, [id]);
    return rows[0] ? receivedRowOf(rows[0]) : undefined;
  }

  async readRelayListener(source: string): Promise<ListenerHold | undefined> {
    const { rows } = await this.pool.query<ListenerHold>(
      `SELECT holder, host, pid, held_until AS "heldUntil" FROM relay_listeners WHERE source = $1`,
      [source],
    );
    return rows[0];
  }

  async takeRelayListener(
    source: string,
    hold: ListenerHold,
    seen: Pick<ListenerHold, "holder" | "heldUntil"> | null,
  ): Promise<boolean> {
    const values = [source, hold.holder, hold.host, hold.pid, hold.heldUntil];
    const { rowCount } =
      seen === null
        ? await this.pool.query(
            `INSERT INTO relay_listeners (source, holder, host, pid, held_until) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (source) DO NOTHING`,
            values,
          )
        : await this.pool.query(
            `UPDATE relay_listeners SET holder = $2, host = $3, pid = $4, held_until = $5
             WHERE source = $1 AND holder = $6 AND held_until = $7`,
            [...values, seen.holder, seen.heldUntil],
          );
    return rowCount === 1;
  }

  async renewRelayListener(source: string, holder: string, heldUntil: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      "UPDATE relay_listeners SET held_until = $3 WHERE source = $1 AND holder = $2",
      [source, holder, heldUntil],
    );
    return rowCount === 1;
  }

  async releaseRelayListener(source: string, holder: string): Promise<void> {
    await this.pool.query("DELETE FROM relay_listeners WHERE source = $1 AND holder = $2", [source, holder]);
  }

  async forgetRelayCursor(source: string): Promise<void> {
    await this.pool.query("DELETE FROM relay_cursors WHERE source = $1", [source]);
  }

  async readRelayCursor(source: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ acked_seq: number }>(
      "SELECT acked_seq FROM relay_cursors WHERE source = $1",
      [source],
    );
    return rows[0]?.acked_seq ?? null;
  }
}

/**
 * Consecutive moves of one cursor (5 from 4, then 6 from 5) as one move (6 from 4): the same
 * outcome in one statement instead of one per request.
 */
export function mergeRuns(marks: readonly CursorAdvance[]): CursorAdvance[] {
  const merged: CursorAdvance[] = [];
  for (const mark of marks) {
    const last = merged[merged.length - 1];
    if (last && last.source === mark.source && mark.previous === last.seq && mark.seq > last.seq) {
      merged[merged.length - 1] = { ...mark, previous: last.previous };
    } else merged.push(mark);
  }
  return merged;
}
