import { checkedSetName, type ScopeSet } from "./engine-port.js";
import { type DeliveryListItem, listingSelect, toListItem } from "./listing.js";
import type { Db } from "./open.js";
import { eventGlob } from "./patterns.js";
import { tlsColumns } from "./rows.js";
import { type DeliveryStatus, deliveryStatuses, type TlsSetting } from "./types.js";

/**
 * The one implementation of choosing, requeueing and purging stored deliveries: `replay <ids>`,
 * `replay --status …`, `dlq requeue`, `dlq purge` and the `inspect` TUI all come through here.
 */

export type RequeueResult =
  | {
      /** The id that was asked for. */
      id: string;
      outcome: "requeued";
      /** The delivery that will run: `id` itself, or the fresh one when `newId` was given. */
      deliveryId: string;
      previousStatus: DeliveryStatus;
      url: string;
    }
  | { id: string; outcome: "skipped"; reason: "not-found" | "leased" };

export interface RequeueOptions {
  now: number;
  /** Redirect the requeued deliveries to this URL. */
  to?: string;
  /** Mint a new delivery (new id, same event) instead of resetting the old one. */
  newId?: () => string;
  /** Replace the recorded TLS setting (null: the system's trust store); undefined keeps it. */
  tls?: TlsSetting | null;
}

const ids = "SELECT value FROM json_each(@ids)";

/**
 * How many ids one requeue transaction (or one describe query) takes: big enough that a million
 * cost little more than their rows, small enough that the results of one chunk are all that is
 * held and a scheduler sharing the log never waits long for the write lock.
 */
export const requeueChunk = 2000;

/** What a whole requeue came to; the results themselves went to `each`, a chunk at a time. */
export interface RequeueSummary {
  /** How many deliveries will run. */
  requeued: number;
  /**
   * The deliveries that will run (fresh ids under `newId`), in the order asked; with `intoSet`
   * they are written to that set instead, and this stays empty.
   */
  deliveryIds: string[];
  /** How many of them are new deliveries (`newId`). */
  fresh: number;
  skipped: number;
}

/** Ids in order, held in memory (an array) or in the log's connection (`selectDeliveryIdsInto`). */
export interface IdList {
  readonly length: number;
  slice(start?: number, end?: number): string[];
}

/**
 * Ids in order whose slices may come from the network: an IdList, or a PostgreSQL selection
 * held in the log's `scope_sets` (see ports/queue.ts).
 */
export interface LogIdList {
  readonly length: number;
  slice(start?: number, end?: number): string[] | Promise<string[]>;
}

/** `list` in consecutive slices of at most `size`. */
export function* chunksOf<T>(
  list: { readonly length: number; slice(start: number, end: number): T[] },
  size = requeueChunk,
): Generator<T[]> {
  for (let start = 0; start < list.length; start += size) yield list.slice(start, start + size);
}

/** `chunksOf` for a list whose slices may be promises (each awaited before the next is asked for). */
export async function* chunksOfLog(list: LogIdList, size = requeueChunk): AsyncGenerator<string[]> {
  for (let start = 0; start < list.length; start += size) yield await list.slice(start, start + size);
}

/**
 * Put deliveries back to pending, due now, with their retry schedule reset and the next attempt
 * marked manual. A delivery that is in flight under a live lease is skipped, never disturbed.
 * Each chunk of `requeueChunk` ids is one short write transaction whose results go to `each`
 * once it has committed (and is awaited, so a slow reader of what `each` writes holds the next
 * chunk back): a selection of millions holds one chunk's results at a time.
 */
export async function requeueInChunks(
  db: Db,
  idList: LogIdList,
  options: RequeueOptions,
  each: (results: RequeueResult[]) => void | Promise<void>,
  intoSet?: ScopeSet,
): Promise<RequeueSummary> {
  const requeue = chunkRequeuer(db, options);
  const keep = intoSet ? scopeSetWriter(db, intoSet) : undefined;
  return requeueEachChunk(
    idList,
    (chunk) => {
      const results = requeue(chunk);
      keep?.(requeuedIds(results));
      return results;
    },
    each,
    { keepIds: keep === undefined },
  );
}

/** The deliveries that will run after a chunk's requeue (fresh ids under `newId`), in order. */
export function requeuedIds(results: readonly RequeueResult[]): string[] {
  return results.flatMap((result) => (result.outcome === "requeued" ? [result.deliveryId] : []));
}

/**
 * `requeueInChunks`' loop on either backend: `requeue` does one chunk (committed when it
 * returns), `each` gets its results; the summary keeps the requeued ids only with `keepIds`.
 */
export async function requeueEachChunk(
  idList: LogIdList,
  requeue: (chunk: string[]) => RequeueResult[] | Promise<RequeueResult[]>,
  each: (results: RequeueResult[]) => void | Promise<void>,
  { keepIds }: { keepIds: boolean },
): Promise<RequeueSummary> {
  const summary: RequeueSummary = { requeued: 0, deliveryIds: [], fresh: 0, skipped: 0 };
  for await (const chunk of chunksOfLog(idList)) {
    const results = await requeue(chunk);
    for (const result of results) {
      if (result.outcome === "skipped") summary.skipped++;
      else {
        summary.requeued++;
        if (keepIds) summary.deliveryIds.push(result.deliveryId);
        if (result.deliveryId !== result.id) summary.fresh++;
      }
    }
    await each(results);
  }
  return summary;
}

/** A fresh scope set of this connection (a temporary table), and how to add deliveries to it. */
function scopeSetWriter(db: Db, scope: ScopeSet): (ids: string[]) => void {
  const table = scopeSetTable(scope);
  db.exec(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id TEXT PRIMARY KEY) WITHOUT ROWID`);
  const insert = db.prepare(`INSERT OR IGNORE INTO ${table} (id) VALUES (?)`);
  return db.transaction((ids: string[]) => {
    for (const id of ids) insert.run(id);
  });
}

/** The temporary table behind a scope set; its name is checked, since it goes into SQL. */
export function scopeSetTable(scope: ScopeSet): string {
  return `temp.${checkedSetName(scope.set)}`;
}

/** `requeueInChunks` for a few ids (the TUI, `retry-now`): every result, in the order asked. */
export function requeueDeliveries(
  db: Db,
  idList: readonly string[],
  options: RequeueOptions,
): RequeueResult[] {
  const requeue = chunkRequeuer(db, options);
  return [...chunksOf(idList)].flatMap(requeue);
}

/** A row as a requeue reads it before deciding (both backends). */
export type FoundRow = { id: string; status: DeliveryStatus; url: string; lease_expires_at: number | null };

/** The TLS columns a requeued row ends up with: its own (`keepTls` 1), or the given ones. */
export type RequeueTls = { keepTls: 0 | 1; tlsInsecure: 1 | null; tlsCa: string | null };

/** What one chunk's requeue is to write, decided from its rows as read (see planRequeue). */
export interface RequeuePlan {
  results: RequeueResult[];
  /** Ids reset in place, grouped by the TLS columns they end up with (at most three groups). */
  resets: Map<RequeueTls, string[]>;
  /** Fresh deliveries to copy from `id` (under `newId`). */
  copies: { newId: string; id: string; url: string; tls: RequeueTls }[];
}

/**
 * Decide one chunk's requeue from its rows as read inside the writing transaction: a delivery
 * in flight under a live lease is skipped, never disturbed. The same decisions on both backends.
 */
export function planRequeue(
  chunk: readonly string[],
  rows: ReadonlyMap<string, FoundRow>,
  options: RequeueOptions,
): RequeuePlan {
  const tls: RequeueTls = { keepTls: options.tls === undefined ? 1 : 0, ...tlsColumns(options.tls ?? null) };
  const noTls: RequeueTls = { keepTls: 0, ...tlsColumns(null) };
  const ownTls: RequeueTls = { keepTls: 1, ...tlsColumns(null) };
  const { now, to, newId } = options;
  const plan: RequeuePlan = { results: [], resets: new Map(), copies: [] };
  for (const id of chunk) {
    const row = rows.get(id);
    if (!row) {
      plan.results.push({ id, outcome: "skipped", reason: "not-found" });
      continue;
    }
    if (row.status === "in_flight" && (row.lease_expires_at ?? 0) > now) {
      plan.results.push({ id, outcome: "skipped", reason: "leased" });
      continue;
    }
    const url = to ?? row.url;
    // A TLS setting belongs to the host it was made for: redirected elsewhere without a new
    // one, the delivery verifies the new host against the system's trust store.
    // One given (--insecure, --ca) is for https:// targets: a plain-HTTP one keeps its own.
    const rowTls =
      tls.keepTls === 1 ? (sameOrigin(url, row.url) ? tls : noTls) : url.startsWith("https:") ? tls : ownTls;
    let deliveryId = id;
    if (newId) {
      deliveryId = newId();
      plan.copies.push({ newId: deliveryId, id, url, tls: rowTls });
    } else {
      const group = plan.resets.get(rowTls) ?? [];
      if (group.length === 0) plan.resets.set(rowTls, group);
      group.push(id);
    }
    plan.results.push({ id, outcome: "requeued", deliveryId, previousStatus: row.status, url });
  }
  return plan;
}

/** One chunk's requeue as a transaction: its rows read at once, then reset as a set (copied one by one under newId). */
function chunkRequeuer(db: Db, options: RequeueOptions): (chunk: readonly string[]) => RequeueResult[] {
  const find = db.prepare(`SELECT id, status, url, lease_expires_at FROM deliveries WHERE id IN (${ids})`);
  const reset = db.prepare(`
    UPDATE deliveries SET status = 'pending', schedule_attempts = 0, next_attempt_at = @now,
      next_trigger = 'manual', lease_token = NULL, lease_expires_at = NULL, url = COALESCE(@to, url),
      tls_insecure = IIF(@keepTls, tls_insecure, @tlsInsecure), tls_ca = IIF(@keepTls, tls_ca, @tlsCa),
      updated_at = @now, completed_at = NULL
    WHERE id IN (${ids}) AND NOT (status = 'in_flight' AND lease_expires_at > @now)`);
  const copy = db.prepare(`
    INSERT INTO deliveries (id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms,
      tls_insecure, tls_ca, status, next_attempt_at, next_trigger, created_at, updated_at)
    SELECT @newId, event_id, endpoint_id, @url, scheme, extra_headers, secrets, policy, timeout_ms,
      IIF(@keepTls, tls_insecure, @tlsInsecure), IIF(@keepTls, tls_ca, @tlsCa),
      'pending', @now, 'manual', @now, @now
    FROM deliveries WHERE id = @id`);
  const { now, to } = options;
  return (chunk) =>
    db
      .transaction(() => {
        const rows = new Map(
          (find.all({ ids: JSON.stringify(chunk) }) as FoundRow[]).map((row) => [row.id, row]),
        );
        const plan = planRequeue(chunk, rows, options);
        for (const { tls, ...row } of plan.copies) copy.run({ ...row, now, ...tls });
        for (const [rowTls, group] of plan.resets) {
          reset.run({ ids: JSON.stringify(group), to: to ?? null, now, ...rowTls });
        }
        return plan.results;
      })
      .immediate();
}

/**
 * Delete deliveries with their attempts, then the events no remaining delivery references.
 * Deliveries in flight are left alone (a scheduler holds or held them; reclaim settles them).
 * Returns how many deliveries were deleted.
 */
export function purgeDeliveries(db: Db, chosen: readonly string[] | ChosenIds): number {
  const listed = isListed(chosen);
  // A chosen set is read where it is kept, never brought into memory.
  const source = listed ? ids : `SELECT id FROM ${chosenTable}`;
  const params = listed ? { ids: JSON.stringify(chosen) } : {};
  const purgeable = `SELECT id FROM deliveries WHERE id IN (${source}) AND status != 'in_flight'`;
  return db
    .transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${purgedEvents} (id TEXT PRIMARY KEY) WITHOUT ROWID;
        DELETE FROM ${purgedEvents}`);
      db.prepare(
        `INSERT OR IGNORE INTO ${purgedEvents} (id) SELECT event_id FROM deliveries WHERE id IN (${purgeable})`,
      ).run(params);
      db.prepare(`DELETE FROM attempts WHERE delivery_id IN (${purgeable})`).run(params);
      const deleted = db
        .prepare(`DELETE FROM deliveries WHERE id IN (${source}) AND status != 'in_flight'`)
        .run(params).changes;
      db.exec(`
        DELETE FROM events WHERE id IN (SELECT id FROM ${purgedEvents})
          AND NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id);
        DELETE FROM ${purgedEvents}`);
      return deleted;
    })
    .immediate();
}

/** The events of the deliveries a purge deletes, to delete those left without any. */
const purgedEvents = "temp.hookctl_purged_events";

/** Where `selectDeliveryIdsInto` keeps a selection on SQLite. */
const chosenTable = "temp.hookctl_chosen";

/** A selection kept in the log (`selectDeliveryIdsInto`): read a slice at a time, or purged as a set. */
export interface ChosenIds extends LogIdList {
  /** The scope set that holds it (SQLite: this connection's chosen table). */
  readonly set: ScopeSet;
}

export function isListed(ids: readonly string[] | LogIdList): ids is readonly string[] {
  return Array.isArray(ids);
}

export interface DeliverySelector {
  /** One status or several; omitted means any. */
  status?: DeliveryStatus | readonly DeliveryStatus[];
  /** Created at or after this instant (ms since the epoch). */
  since?: number;
  /** Event type glob: `*` any run of characters, `?` one, case-sensitive (`order.*`). */
  eventGlob?: string;
  /** Only deliveries to this named endpoint. */
  endpointName?: string;
  /** Finished (or last changed) before this instant (ms since the epoch): `dlq purge --older-than`. */
  olderThan?: number;
  limit?: number;
}

function selectorSql(selector: DeliverySelector): { where: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  if (selector.status !== undefined) {
    const wanted = typeof selector.status === "string" ? [selector.status] : selector.status;
    // Literal, known values (not json_each) so the planner can use the (status, id) index.
    const statuses = deliveryStatuses.filter((status) => wanted.includes(status));
    clauses.push(`d.status IN (${statuses.map((status) => `'${status}'`).join(", ") || "NULL"})`);
  }
  if (selector.since !== undefined) {
    clauses.push("d.created_at >= @since");
    params.since = selector.since;
  }
  if (selector.olderThan !== undefined) {
    clauses.push("COALESCE(d.completed_at, d.updated_at) < @olderThan");
    params.olderThan = selector.olderThan;
  }
  if (selector.eventGlob !== undefined) {
    clauses.push("e.type GLOB @glob");
    params.glob = eventGlob(selector.eventGlob);
  }
  if (selector.endpointName !== undefined) {
    clauses.push("d.endpoint_id = (SELECT id FROM endpoints WHERE name = @endpoint)");
    params.endpoint = selector.endpointName;
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

/** Ids of the deliveries a selector picks, oldest first. */
export function selectDeliveryIds(db: Db, selector: DeliverySelector): string[] {
  const { sql, params } = selectionSql(selector);
  return db.prepare(sql).pluck().all(params) as string[];
}

/** The ids a selector matches, in id order, as one query. */
function selectionSql(selector: DeliverySelector): { sql: string; params: Record<string, unknown> } {
  const { where, params } = selectorSql(selector);
  const limit = selector.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(selector.limit))}` : "";
  return {
    sql: `SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id ${where} ORDER BY d.id ${limit}`,
    params,
  };
}

/**
 * `selectDeliveryIds` kept in a temporary table of this connection and read back a slice at a
 * time: a selection of millions is never a million strings in memory (whose garbage would then
 * raise the heap the rest of the run grows to).
 */
export function selectDeliveryIdsInto(db: Db, selector: DeliverySelector): IdList & ChosenIds {
  const { sql, params } = selectionSql(selector);
  const table = chosenTable;
  db.exec(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (n INTEGER PRIMARY KEY, id TEXT NOT NULL)`);
  db.prepare(`INSERT INTO ${table} (id) ${sql}`).run(params);
  const length = db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  const between = db.prepare(`SELECT id FROM ${table} WHERE n > @from AND n <= @to ORDER BY n`).pluck();
  return {
    length,
    set: { set: "hookctl_chosen" },
    // Rows are numbered from 1 in id order: positions [start, end) are n in (start, end].
    slice: (start = 0, end = length) => between.all({ from: start, to: Math.min(end, length) }) as string[],
  };
}

export type StatusCounts = Record<DeliveryStatus, number>;

/** How many deliveries are in each state (an index-only scan). */
export function countByStatus(db: Db): StatusCounts {
  const counts: StatusCounts = { pending: 0, in_flight: 0, succeeded: 0, dead: 0 };
  const rows = db.prepare("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status").all() as {
    status: DeliveryStatus;
    n: number;
  }[];
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

/** A delivery as `dlq`, `replay --dry-run` and the TUI list it. */
export type QueuedDelivery = DeliveryListItem;

/** A dead delivery, as `dlq list` and the TUI show it. */
export type DeadLetter = DeliveryListItem;

/** The given deliveries with their event type and endpoint name, in the order asked; unknown ids are left out. */
export function describeDeliveries(db: Db, idList: readonly string[]): QueuedDelivery[] {
  const rows = db
    .prepare(`${listingSelect} WHERE d.id IN (${ids})`)
    .all({ ids: JSON.stringify(idList) }) as Record<string, unknown>[];
  const byId = new Map(rows.map((raw) => [raw.id as string, toListItem(raw)]));
  return idList.flatMap((id) => byId.get(id) ?? []);
}

/** `describeDeliveries` a chunk at a time (each awaited), so a long list is never held described at once. */
export async function describeInChunks(
  db: Db,
  idList: LogIdList,
  each: (items: QueuedDelivery[]) => void | Promise<void>,
): Promise<void> {
  for await (const chunk of chunksOfLog(idList)) await each(describeDeliveries(db, chunk));
}

/** How many of the given deliveries are in each state (unknown ids count nowhere). */
export function countByStatusOf(db: Db, idList: readonly string[]): StatusCounts {
  const counts: StatusCounts = { pending: 0, in_flight: 0, succeeded: 0, dead: 0 };
  const query = db.prepare(
    `SELECT status, COUNT(*) AS n FROM deliveries WHERE id IN (${ids}) GROUP BY status`,
  );
  // Larger chunks than a requeue's: only a handful of counts come back from each.
  for (const chunk of chunksOf(idList, requeueChunk * 25)) {
    const rows = query.all({ ids: JSON.stringify(chunk) }) as { status: DeliveryStatus; n: number }[];
    for (const row of rows) counts[row.status] += row.n;
  }
  return counts;
}

export interface DeadLetterQuery {
  endpointName?: string;
  eventGlob?: string;
  olderThan?: number;
  limit?: number;
}

/** Dead letters, newest first. */
export function listDeadLetters(db: Db, query: DeadLetterQuery = {}): DeadLetter[] {
  const { where, params } = selectorSql({ ...query, status: "dead" });
  const limit = query.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(query.limit))}` : "";
  const rows = db.prepare(`${listingSelect} ${where} ORDER BY d.id DESC ${limit}`).all(params) as Record<
    string,
    unknown
  >[];
  return rows.map(toListItem);
}

/** Whether two URLs name the same scheme, host and port (unparsable ones never match). */
function sameOrigin(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** The queue's queries as functions of the log: the SQLite side of the queue port. */
export const sqliteQueueQueries = {
  countByStatusOf,
  describeDeliveries,
  describeInChunks,
  purgeDeliveries,
  requeueDeliveries,
  requeueInChunks,
  selectDeliveryIds,
};
