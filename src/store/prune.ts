import type { Statement } from "better-sqlite3";
import type { Db } from "./open.js";

/**
 * Retention for `hookctl log prune`: every statement it runs lives in this file, so a PostgreSQL
 * port has one place to copy from.
 *
 * What goes, all older than the cutoff: finished deliveries (succeeded, dead) by their completion
 * time, with their attempts and their sent alerts; events no delivery refers to any more, unless
 * an idempotency key still names one (serve deletes keys as they expire, under a TTL this
 * command cannot know, and a repeat's answer names the event a client may then look up); sent
 * alerts whose delivery is already gone; captured requests when asked. Pending and in-flight
 * deliveries stay, whatever their age.
 *
 * Deletion runs in chunks, each its own short write transaction, and candidates are found by a
 * read outside it, so a running replay or serve waits for one chunk at most.
 */

/** How many rows one prune transaction deletes (with a delivery's attempts and alerts). */
export const pruneChunk = 2000;

export interface PruneOptions {
  /** Finished (or captured) before this instant, in ms since the epoch. */
  cutoff: number;
  /** Also delete captured requests (`received`) older than the cutoff. */
  received: boolean;
  chunk?: number;
  /** Awaited after each committed chunk: the caller's chance to let a waiting writer in. */
  between?: () => Promise<void>;
  /** Stop after the chunk in hand once aborted: what went is counted, the rest stays for next time. */
  signal?: AbortSignal;
  /**
   * The current time, in ms since the epoch (default: the system clock). PostgreSQL only: scope
   * sets written over a day before it belong to processes that died, and go too.
   */
  now?: number;
}

/** How many rows of each kind went (or would go); `received` is null when not asked for. */
export interface PruneCounts {
  deliveries: number;
  attempts: number;
  events: number;
  alerts: number;
  received: number | null;
}

/** Counts of a prune that has deleted nothing yet. */
export function nothingPruned(received: boolean): PruneCounts {
  return { deliveries: 0, attempts: 0, events: 0, alerts: 0, received: received ? 0 : null };
}

const finished = "status IN ('succeeded', 'dead') AND COALESCE(completed_at, updated_at) < @cutoff";
const ids = "SELECT value FROM json_each(@ids)";
const unnamedByKey = "NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.event_id = events.id)";
const unreferenced = "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)";

/** What a prune with these options would delete now, changing nothing. */
export function countPrunable(db: Db, options: Pick<PruneOptions, "cutoff" | "received">): PruneCounts {
  const params = { cutoff: options.cutoff };
  const one = (sql: string) => db.prepare(sql).pluck().get(params) as number;
  const staying = `d.status NOT IN ('succeeded', 'dead') OR COALESCE(d.completed_at, d.updated_at) >= @cutoff`;
  return {
    deliveries: one(`SELECT COUNT(*) FROM deliveries WHERE ${finished}`),
    attempts: one(
      `SELECT COUNT(*) FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE ${finished})`,
    ),
    events: one(`SELECT COUNT(*) FROM events WHERE created_at < @cutoff AND ${unnamedByKey}
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND (${staying}))`),
    alerts: one(`SELECT COUNT(*) FROM alerts a WHERE a.status = 'sent'
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id AND (${staying}))`),
    received: options.received ? one("SELECT COUNT(*) FROM received WHERE received_at < @cutoff") : null,
  };
}

/** Delete what `countPrunable` counts, a chunk per transaction; returns what was deleted. */
export async function prune(db: Db, options: PruneOptions): Promise<PruneCounts> {
  const counts = nothingPruned(options.received);
  const sweep = sweeper(db, options);
  const deleteDeliveries = deliveryChunkDeleter(db, options.cutoff);
  for (const status of ["succeeded", "dead"]) {
    const select = `SELECT id FROM deliveries WHERE status = '${status}' AND id > @after AND ${finished} ORDER BY id`;
    await sweep(select, "", (chunk) => {
      const removed = deleteDeliveries(chunk);
      counts.deliveries += removed.deliveries;
      counts.attempts += removed.attempts;
      counts.alerts += removed.alerts;
      counts.events += removed.events;
      return removed.deliveries;
    });
  }
  // Events with no delivery from the start: serve accepts an event no endpoint subscribes to.
  const orphan = `created_at < @cutoff AND ${unreferenced} AND ${unnamedByKey}`;
  counts.events += await sweep(
    `SELECT id FROM events WHERE id > @after AND ${orphan} ORDER BY id`,
    "",
    `DELETE FROM events WHERE id IN (${ids}) AND ${orphan}`,
  );
  const lost = "status = 'sent' AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = alerts.delivery_id)";
  counts.alerts += await sweep(
    `SELECT rowid FROM alerts WHERE rowid > @after AND ${lost} ORDER BY rowid`,
    0,
    `DELETE FROM alerts WHERE rowid IN (${ids}) AND ${lost}`,
  );
  if (options.received) {
    counts.received = await sweep(
      "SELECT rowid FROM received WHERE rowid > @after AND received_at < @cutoff ORDER BY rowid",
      0,
      `DELETE FROM received WHERE rowid IN (${ids}) AND received_at < @cutoff`,
    );
  }
  return counts;
}

/** Give the file back the pages prune freed (VACUUM: rewrites the whole log under the write lock). */
export function vacuum(db: Db): number {
  const size = () =>
    (db.pragma("page_count", { simple: true }) as number) *
    (db.pragma("page_size", { simple: true }) as number);
  const before = size();
  db.exec("VACUUM");
  // The rewrite went through the WAL: cut it back too, or the space moved rather than came back.
  db.pragma("wal_checkpoint(TRUNCATE)");
  return Math.max(0, before - size());
}

type Key = string | number;

/**
 * Walk the keys a select finds (it takes @after and @cutoff, and orders by key) a chunk at a
 * time: read each chunk outside any transaction, then delete it in its own write transaction,
 * with every condition checked again (a delivery requeued in between stays). A delete given as
 * SQL takes @ids and @cutoff. Returns how many rows the deletes removed.
 */
function sweeper(db: Db, options: PruneOptions) {
  const size = options.chunk ?? pruneChunk;
  return async (select: string, first: Key, remove: string | ((chunk: Key[]) => number)): Promise<number> => {
    const next = db.prepare(`${select} LIMIT ${size}`).pluck();
    const removeChunk = db.transaction(
      typeof remove === "string" ? deleteBy(db.prepare(remove), options.cutoff) : remove,
    );
    let removed = 0;
    let after = first;
    while (!options.signal?.aborted) {
      const chunk = next.all({ after, cutoff: options.cutoff }) as Key[];
      if (chunk.length === 0) return removed;
      removed += removeChunk.immediate(chunk);
      await options.between?.();
      if (chunk.length < size) return removed;
      after = chunk[chunk.length - 1] as Key;
    }
    return removed;
  };
}

function deleteBy(statement: Statement, cutoff: number): (chunk: Key[]) => number {
  return (chunk) => statement.run({ ids: JSON.stringify(chunk), cutoff }).changes;
}

/** One chunk of finished deliveries: attempts, sent alerts, the deliveries, then their orphaned events. */
function deliveryChunkDeleter(db: Db, cutoff: number) {
  const chosen = `SELECT id FROM deliveries WHERE id IN (${ids}) AND ${finished}`;
  const eventsOf = db
    .prepare(`SELECT DISTINCT event_id FROM deliveries WHERE id IN (${ids}) AND ${finished}`)
    .pluck();
  const attempts = db.prepare(`DELETE FROM attempts WHERE delivery_id IN (${chosen})`);
  const alerts = db.prepare(`DELETE FROM alerts WHERE status = 'sent' AND delivery_id IN (${chosen})`);
  const deliveries = db.prepare(`DELETE FROM deliveries WHERE id IN (${chosen})`);
  const events = db.prepare(
    `DELETE FROM events WHERE id IN (SELECT value FROM json_each(@events)) AND created_at < @cutoff AND ${unreferenced} AND ${unnamedByKey}`,
  );
  return (chunk: Key[]) => {
    const params = { ids: JSON.stringify(chunk), cutoff };
    const eventIds = eventsOf.all(params) as string[];
    const removed = {
      attempts: attempts.run(params).changes,
      alerts: alerts.run(params).changes,
      deliveries: deliveries.run(params).changes,
      events: 0,
    };
    removed.events = events.run({ events: JSON.stringify(eventIds), cutoff }).changes;
    return removed;
  };
}
