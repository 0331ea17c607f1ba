import type pg from "pg";
import type { PruneStore } from "../ports/prune.js";
import { nothingPruned, type PruneCounts, type PruneOptions, pruneChunk } from "../prune.js";
import type { PgPool } from "./connect.js";
import { inTransaction, retryDeadlock } from "./transaction.js";

/**
 * `hookctl log prune` on PostgreSQL: what store/prune.ts deletes on SQLite, by the same rules
 * (read that file's comment), with $1 the cutoff throughout.
 *
 * Each chunk is its own transaction. Its rows are locked (FOR UPDATE) and the conditions checked
 * again under the lock, so a delivery a replay requeues meanwhile stays, and an event stays when
 * a delivery of it is written meanwhile. Schedulers never wait on a chunk: they claim pending
 * rows, and prune locks only finished ones. Scope sets that dead processes left behind (a day
 * old) go too; they are bookkeeping, not counted.
 */
const finished = "status IN ('succeeded', 'dead') AND COALESCE(completed_at, updated_at) < $1";
const unnamedByKey = "NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.event_id = events.id)";
const unreferenced = "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)";
const staying = "d.status NOT IN ('succeeded', 'dead') OR COALESCE(d.completed_at, d.updated_at) >= $1";
const orphan = `created_at < $1 AND ${unreferenced} AND ${unnamedByKey}`;
const lostAlert =
  "status = 'sent' AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = alerts.delivery_id)";

/** How long a scope set may outlive the last scheduler that said it runs it (scope_set_holders). */
const scopeSetLifeMs = 86_400_000;

/** The tables a prune shrinks: what --vacuum goes over. */
const prunedTables = ["deliveries", "attempts", "events", "alerts", "received", "scope_sets"];

type Client = pg.PoolClient;
type Keys = string[][];

export class PgPrune implements PruneStore {
  constructor(private readonly pool: PgPool) {}

  async countPrunable(options: Pick<PruneOptions, "cutoff" | "received">): Promise<PruneCounts> {
    const one = async (sql: string) => {
      const { rows } = await this.pool.query<{ n: number }>(`SELECT (${sql})::int AS n`, [options.cutoff]);
      return rows[0]?.n ?? 0;
    };
    return {
      deliveries: await one(`SELECT COUNT(*) FROM deliveries WHERE ${finished}`),
      attempts: await one(
        `SELECT COUNT(*) FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE ${finished})`,
      ),
      events: await one(`SELECT COUNT(*) FROM events WHERE created_at < $1 AND ${unnamedByKey}
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND (${staying}))`),
      alerts: await one(`SELECT COUNT(*) FROM alerts a WHERE a.status = 'sent'
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id AND (${staying}))`),
      received: options.received ? await one("SELECT COUNT(*) FROM received WHERE received_at < $1") : null,
    };
  }

  async prune(options: PruneOptions): Promise<PruneCounts> {
    const counts = nothingPruned(options.received);
    const { cutoff } = options;
    for (const status of ["succeeded", "dead"]) {
      await this.sweep(
        options,
        `SELECT id FROM deliveries WHERE status = '${status}' AND id > $2 AND ${finished} ORDER BY id`,
        async (client, keys) => {
          const removed = await deleteDeliveries(
            client,
            cutoff,
            keys.map(([id]) => id as string),
          );
          counts.deliveries += removed.deliveries;
          counts.attempts += removed.attempts;
          counts.alerts += removed.alerts;
          counts.events += removed.events;
          return removed.deliveries;
        },
      );
    }
    counts.events += await this.sweep(
      options,
      `SELECT id FROM events WHERE id > $2 AND ${orphan} ORDER BY id`,
      (client, keys) =>
        deleteEvents(
          client,
          cutoff,
          keys.map(([id]) => id as string),
        ),
    );
    counts.alerts += await this.sweep(
      options,
      // Lost alerts go whatever their age: the cutoff is not a parameter here.
      `SELECT id, sink FROM alerts WHERE (id, sink) > ($1, $2) AND ${lostAlert} ORDER BY id, sink`,
      async (client, keys) => {
        const { rowCount } = await client.query(
          `DELETE FROM alerts WHERE (id, sink) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND ${lostAlert}`,
          [keys.map(([id]) => id), keys.map(([, sink]) => sink)],
        );
        return rowCount ?? 0;
      },
      { keyColumns: 2, cutoff: false },
    );
    if (options.received) {
      counts.received = await this.sweep(
        options,
        "SELECT id FROM received WHERE id > $2 AND received_at < $1 ORDER BY id",
        async (client, keys) => {
          const { rowCount } = await client.query(
            "DELETE FROM received WHERE id = ANY($2::text[]) AND received_at < $1",
            [cutoff, keys.map(([id]) => id)],
          );
          return rowCount ?? 0;
        },
      );
    }
    if (!options.signal?.aborted) {
      const before = (options.now ?? Date.now()) - scopeSetLifeMs;
      await this.pool.query(
        `DELETE FROM scope_sets s WHERE created_at < $1 AND NOT EXISTS (
           SELECT 1 FROM scope_set_holders h WHERE h.set_name = s.set_name AND h.alive_at >= $1)`,
        [before],
      );
      await this.pool.query("DELETE FROM scope_set_holders WHERE alive_at < $1", [before]);
    }
    return counts;
  }

  /**
   * VACUUM (ANALYZE) of the tables prune shrinks: their freed rows become room for new ones and
   * the planner learns their new sizes. PostgreSQL hands space back to the disk only from the
   * end of a table, so the bytes returned are often 0 (VACUUM FULL would lock the tables).
   */
  async vacuum(): Promise<number> {
    const size = async () => {
      const { rows } = await this.pool.query<{ bytes: number }>(
        "SELECT COALESCE(SUM(pg_total_relation_size(t::regclass)), 0)::bigint AS bytes FROM unnest($1::text[]) AS t",
        [prunedTables],
      );
      return rows[0]?.bytes ?? 0;
    };
    const before = await size();
    await this.pool.query(`VACUUM (ANALYZE) ${prunedTables.join(", ")}`);
    return Math.max(0, before - (await size()));
  }

  /**
   * Walk the keys `select` finds ($1 the cutoff unless `cutoff: false`, then the last key seen;
   * ordered by key) a chunk
   * at a time: each chunk read outside a transaction, then removed in its own, tried again if
   * the server broke a deadlock with a requeue. Returns how many rows `remove` removed.
   */
  private async sweep(
    options: PruneOptions,
    select: string,
    remove: (client: Client, keys: Keys) => Promise<number>,
    { keyColumns = 1, cutoff = true } = {},
  ): Promise<number> {
    const size = options.chunk ?? pruneChunk;
    let removed = 0;
    // Keys are non-empty text, and "" sorts before all of them in every collation.
    let after: string[] = Array.from({ length: keyColumns }, () => "");
    while (!options.signal?.aborted) {
      const { rows } = await this.pool.query({
        text: `${select} LIMIT ${size}`,
        values: cutoff ? [options.cutoff, ...after] : after,
        rowMode: "array",
      });
      const keys = rows as Keys;
      if (keys.length === 0) return removed;
      removed += await retryDeadlock(() => inTransaction(this.pool, (client) => remove(client, keys)));
      await options.between?.();
      if (keys.length < size) return removed;
      after = keys[keys.length - 1] as string[];
    }
    return removed;
  }
}

/** One chunk of finished deliveries: attempts, sent alerts, the deliveries, then their orphaned events. */
async function deleteDeliveries(client: Client, cutoff: number, candidates: string[]) {
  const { rows } = await client.query<{ id: string; event_id: string }>(
    `SELECT id, event_id FROM deliveries WHERE id = ANY($2::text[]) AND ${finished} ORDER BY id FOR UPDATE`,
    [cutoff, candidates],
  );
  const ids = rows.map((row) => row.id);
  const count = async (sql: string) => (await client.query(sql, [ids])).rowCount ?? 0;
  const removed = {
    attempts: await count("DELETE FROM attempts WHERE delivery_id = ANY($1::text[])"),
    alerts: await count("DELETE FROM alerts WHERE status = 'sent' AND delivery_id = ANY($1::text[])"),
    deliveries: await count("DELETE FROM deliveries WHERE id = ANY($1::text[])"),
    events: 0,
  };
  removed.events = await deleteEvents(client, cutoff, [...new Set(rows.map((row) => row.event_id))]);
  return removed;
}

/**
 * Delete those of `ids` that are orphaned. Locked first: a writer adding a delivery of one waits
 * for this transaction, and the check runs after the lock, so it sees any such writer's commit.
 */
async function deleteEvents(client: Client, cutoff: number, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  await client.query("SELECT 1 FROM events WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE", [ids]);
  const { rowCount } = await client.query(`DELETE FROM events WHERE id = ANY($2::text[]) AND ${orphan}`, [
    cutoff,
    ids,
  ]);
  return rowCount ?? 0;
}
