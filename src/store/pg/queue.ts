import { randomUUID } from "node:crypto";
import type pg from "pg";
import { checkedSetName, type ScopeSet } from "../engine-port.js";
import type { QueueStore } from "../ports/queue.js";
import {
  type ChosenIds,
  chunksOf,
  chunksOfLog,
  type DeliverySelector,
  type FoundRow,
  isListed,
  type LogIdList,
  planRequeue,
  type QueuedDelivery,
  type RequeueOptions,
  type RequeueResult,
  type RequeueSummary,
  requeuedIds,
  requeueEachChunk,
  type StatusCounts,
} from "../queue.js";
import type { PgPool } from "./connect.js";
import { limitSql, PgDeliveryReads, pgSelectorWhere, type Queryable } from "./deliveries.js";
import { notifyWork, Params } from "./exchange-sql.js";
import { inTransaction } from "./transaction.js";

export interface PgQueueOptions {
  /** Milliseconds since the epoch: the age of the scope sets this store writes. */
  now?: () => number;
  /** A name for a scope set (default: random). */
  newSetName?: () => string;
}

/** How many ids one statement of a purge takes. */
const purgeChunk = 10_000;

/**
 * The queue port over a PostgreSQL log. Selections and requeued sets are rows of `scope_sets`
 * (shared by every connection of the pool, which a temporary table is not), read back a chunk
 * at a time by key, and deleted on close. Each requeue chunk is one transaction that locks its
 * rows first (FOR UPDATE, in id order), so what it decides about a lease still holds when it
 * writes, and notifies the engines once it made anything due.
 */
export class PgQueue implements QueueStore {
  private readonly reads: PgDeliveryReads;
  private readonly written = new Set<string>();
  private readonly now: () => number;
  private readonly newSetName: () => string;

  constructor(
    private readonly pool: PgPool,
    options: PgQueueOptions = {},
  ) {
    this.reads = new PgDeliveryReads(pool);
    this.now = options.now ?? Date.now;
    this.newSetName = options.newSetName ?? (() => `q_${randomUUID().replaceAll("-", "")}`);
  }

  newScopeSet(): ScopeSet {
    const set = this.newSetName();
    this.written.add(checkedSetName(set));
    return { set };
  }

  async selectDeliveryIds(selector: DeliverySelector): Promise<string[]> {
    const { text, values } = selectionSql(selector);
    const { rows } = await this.pool.query<{ id: string }>(text, values);
    return rows.map((row) => row.id);
  }

  async selectDeliveryIdsInto(selector: DeliverySelector): Promise<ChosenIds> {
    const { set } = this.newScopeSet();
    const p = new Params();
    const name = p.add(set, "text");
    const at = p.add(this.now(), "bigint");
    const { text } = selectionSql(selector, p);
    const inserted = await this.pool.query(
      `INSERT INTO scope_sets (set_name, delivery_id, created_at) SELECT ${name}, id, ${at} FROM (${text}) chosen`,
      p.values,
    );
    return { ...setList(this.pool, set, inserted.rowCount ?? 0), set: { set } };
  }

  describeDeliveries(idList: readonly string[]): Promise<QueuedDelivery[]> {
    return this.reads.describeDeliveries(idList);
  }

  countByStatusOf(idList: readonly string[]): Promise<StatusCounts> {
    return this.reads.countByStatusOf(idList);
  }

  async describeInChunks(
    idList: LogIdList,
    each: (items: QueuedDelivery[]) => void | Promise<void>,
  ): Promise<void> {
    for await (const chunk of chunksOfLog(idList)) await each(await this.reads.describeDeliveries(chunk));
  }

  async requeueInChunks(
    idList: LogIdList,
    options: RequeueOptions,
    each: (results: RequeueResult[]) => void | Promise<void>,
    intoSet?: ScopeSet,
  ): Promise<RequeueSummary> {
    if (intoSet) {
      // As SQLite's set is made afresh: what a set held before is not part of this requeue.
      this.written.add(checkedSetName(intoSet.set));
      await this.pool.query("DELETE FROM scope_sets WHERE set_name = $1", [intoSet.set]);
    }
    return requeueEachChunk(
      idList,
      (chunk) =>
        inTransaction(this.pool, (client) => requeueChunkPg(client, chunk, options, intoSet, this.now())),
      each,
      { keepIds: intoSet === undefined },
    );
  }

  async requeueDeliveries(idList: readonly string[], options: RequeueOptions): Promise<RequeueResult[]> {
    const results: RequeueResult[] = [];
    for (const chunk of chunksOf(idList)) {
      results.push(...(await inTransaction(this.pool, (client) => requeueChunkPg(client, chunk, options))));
    }
    return results;
  }

  /**
   * As SQLite's purgeDeliveries, in one transaction: in-flight rows stay (a claim that locked a
   * row first wins: the DELETE re-checks it), attempts go with their delivery (ON DELETE
   * CASCADE), and events left without deliveries go. A chosen set is deleted from where it is
   * kept; the events to check are gathered in a temporary table of the transaction.
   */
  purgeDeliveries(chosen: readonly string[] | ChosenIds): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query("CREATE TEMPORARY TABLE hookctl_purged_events (id text PRIMARY KEY) ON COMMIT DROP");
      let deleted = 0;
      const purge = async (source: string, values: unknown[]) => {
        const { rows } = await client.query<{ n: number }>(
          `WITH gone AS (
             DELETE FROM deliveries WHERE id IN (${source}) AND status <> 'in_flight' RETURNING event_id),
           noted AS (
             INSERT INTO hookctl_purged_events (id) SELECT DISTINCT event_id FROM gone ON CONFLICT DO NOTHING)
           SELECT count(*)::int AS n FROM gone`,
          values,
        );
        deleted += rows[0]?.n ?? 0;
      };
      if (isListed(chosen)) {
        for (const chunk of chunksOf(chosen, purgeChunk)) await purge("SELECT unnest($1::text[])", [chunk]);
      } else {
        await purge("SELECT delivery_id FROM scope_sets WHERE set_name = $1", [
          checkedSetName(chosen.set.set),
        ]);
      }
      await client.query(
        `DELETE FROM events WHERE id IN (SELECT id FROM hookctl_purged_events)
           AND NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id)`,
      );
      return deleted;
    });
  }

  /** Drop the scope sets this store wrote (selections, requeued sets); the pool stays open. */
  async close(): Promise<void> {
    const sets = [...this.written];
    this.written.clear();
    if (sets.length > 0)
      await this.pool.query("DELETE FROM scope_sets WHERE set_name = ANY($1::text[])", [sets]);
  }
}

/** The ids a selector matches, in id order, as one query (queue.ts's selectionSql). */
function selectionSql(selector: DeliverySelector, p = new Params()): { text: string; values: unknown[] } {
  const where = pgSelectorWhere(p, selector);
  return {
    text: `SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id ${where} ORDER BY d.id ${limitSql(selector.limit)}`,
    values: p.values,
  };
}

/**
 * A scope set's ids in id order, a slice at a time. Slices asked for in sequence (as every chunked
 * reader does) continue from the last id by the primary key, so a million cost one index walk.
 */
function setList(pool: Queryable, set: string, length: number): LogIdList {
  let next = { start: 0, after: "" };
  return {
    length,
    slice: async (start = 0, end = length) => {
      const count = Math.max(0, Math.min(end, length) - start);
      if (count === 0) return [];
      const { rows } =
        start === next.start && start > 0
          ? await pool.query<{ id: string }>(
              `SELECT delivery_id AS id FROM scope_sets WHERE set_name = $1 AND delivery_id > $2
               ORDER BY delivery_id LIMIT $3`,
              [set, next.after, count],
            )
          : await pool.query<{ id: string }>(
              "SELECT delivery_id AS id FROM scope_sets WHERE set_name = $1 ORDER BY delivery_id LIMIT $2 OFFSET $3",
              [set, count, start],
            );
      const ids = rows.map((row) => row.id);
      const last = ids[ids.length - 1];
      if (last !== undefined) next = { start: start + ids.length, after: last };
      return ids;
    },
  };
}

/**
 * One chunk's requeue inside the caller's transaction: the rows locked and read, the decisions
 * of `planRequeue` written, the deliveries that will run added to `intoSet`, and the engines
 * notified if any will. `setAt` is the scope set rows' age.
 */
export async function requeueChunkPg(
  client: pg.PoolClient,
  chunk: readonly string[],
  options: RequeueOptions,
  intoSet?: ScopeSet,
  setAt = options.now,
): Promise<RequeueResult[]> {
  const { rows } = await client.query<FoundRow>(
    `SELECT id, status, url, lease_expires_at FROM deliveries WHERE id = ANY($1::text[])
     ORDER BY id FOR UPDATE`,
    [chunk],
  );
  const plan = planRequeue(chunk, new Map(rows.map((row) => [row.id, row])), options);
  const { now, to } = options;
  if (plan.copies.length > 0) {
    const column = <T>(pick: (copy: (typeof plan.copies)[number]) => T) => plan.copies.map(pick);
    await client.query(
      `INSERT INTO deliveries (id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms,
         tls_insecure, tls_ca, status, next_attempt_at, next_trigger, created_at, updated_at)
       SELECT c.new_id, d.event_id, d.endpoint_id, c.url, d.scheme, d.extra_headers, d.secrets, d.policy, d.timeout_ms,
         CASE WHEN c.keep = 1 THEN d.tls_insecure ELSE c.tls_insecure END,
         CASE WHEN c.keep = 1 THEN d.tls_ca ELSE c.tls_ca END,
         'pending', $7::bigint, 'manual', $7::bigint, $7::bigint
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[])
         AS c(new_id, id, url, keep, tls_insecure, tls_ca)
       JOIN deliveries d ON d.id = c.id`,
      [
        column((c) => c.newId),
        column((c) => c.id),
        column((c) => c.url),
        column((c) => c.tls.keepTls),
        column((c) => c.tls.tlsInsecure),
        column((c) => c.tls.tlsCa),
        now,
      ],
    );
  }
  for (const [tls, group] of plan.resets) {
    await client.query(
      `UPDATE deliveries SET status = 'pending', schedule_attempts = 0, next_attempt_at = $2::bigint,
         next_trigger = 'manual', lease_token = NULL, lease_expires_at = NULL, url = COALESCE($3::text, url),
         tls_insecure = CASE WHEN $4::int = 1 THEN tls_insecure ELSE $5::int END,
         tls_ca = CASE WHEN $4::int = 1 THEN tls_ca ELSE $6::text END,
         updated_at = $2::bigint, completed_at = NULL
       WHERE id = ANY($1::text[]) AND NOT (status = 'in_flight' AND lease_expires_at > $2::bigint)`,
      [group, now, to ?? null, tls.keepTls, tls.tlsInsecure, tls.tlsCa],
    );
  }
  const requeued = requeuedIds(plan.results);
  if (intoSet && requeued.length > 0) {
    await client.query(
      `INSERT INTO scope_sets (set_name, delivery_id, created_at)
       SELECT $1::text, unnest($2::text[]), $3::bigint ON CONFLICT DO NOTHING`,
      [checkedSetName(intoSet.set), requeued, setAt],
    );
  }
  if (requeued.length > 0) await client.query(`SELECT ${notifyWork}`);
  return plan.results;
}
