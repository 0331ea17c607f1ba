import type { LogHandle } from "../log-handle.js";
import { readPg } from "./pg.js";
import { readSqlite } from "./sqlite.js";
import type { Batch, Row } from "./tables.js";

/** Rows read and written per batch: a million deliveries are never in memory at once. */
export const transferChunk = 1000;

export interface ReadOptions {
  /** The copy's time, ms since the epoch: released leases are due from then. */
  now: number;
  chunk?: number;
  /** Counts the in-flight deliveries that come over as pending. */
  stats?: { leasesReleased: number };
}

/**
 * Every moved table of `log`, parents first, in batches, from one snapshot. A delivery in flight
 * comes out pending and due, its lease dropped, as a reclaim would leave it: its holder is on the
 * old log, so the new log's schedulers take it at once (at least once, as after a crash).
 */
export function readLog(log: LogHandle, options: ReadOptions): AsyncGenerator<Batch> {
  const size = options.chunk ?? transferChunk;
  return releasingLeases(
    log.backend === "sqlite" ? readSqlite(log.db, size) : readPg(log.pool, size),
    options,
  );
}

/** `batches` with every in-flight delivery made pending and due (see readLog). */
export async function* releasingLeases(
  batches: AsyncIterable<Batch>,
  options: Omit<ReadOptions, "chunk">,
): AsyncGenerator<Batch> {
  for await (const batch of batches) {
    if (batch.table.name !== "deliveries") yield batch;
    else yield { ...batch, rows: batch.rows.map((row) => released(row, options)) };
  }
}

function released(row: Row, options: ReadOptions): Row {
  if (row.status !== "in_flight") return row;
  if (options.stats) options.stats.leasesReleased++;
  const next = row.next_attempt_at;
  return {
    ...row,
    status: "pending",
    lease_token: null,
    lease_expires_at: null,
    next_attempt_at: typeof next === "number" ? Math.min(next, options.now) : options.now,
    updated_at: options.now,
  };
}
