import type { Db } from "./open.js";
import { containsClause } from "./patterns.js";
import { countByStatus } from "./queue.js";
import type { DeliveryStatus, ErrorClass } from "./types.js";

/**
 * Paged, index-driven reads for the `inspect` UI. Nothing here loads a whole table: every list
 * query walks `deliveries_by_status(status, id)` (or the primary key for "all") from a cursor
 * and stops after a LIMIT, so a keystroke costs the same with 100 rows as with 100,000.
 * Ids are time-sortable ULIDs, so "newest first" is simply descending id order.
 */

/** A status tab: one delivery status, or every delivery. */
export type BrowseStatus = DeliveryStatus | "all";
export const browseStatuses: readonly BrowseStatus[] = ["dead", "pending", "in_flight", "succeeded", "all"];

export interface BrowseQuery {
  status: BrowseStatus;
  /** Case-insensitive substring of the event type, URL, endpoint name, delivery or event id. */
  filter?: string;
}

/** What one list row shows. */
export interface DeliverySummary {
  id: string;
  eventId: string;
  eventType: string;
  endpointName: string | null;
  url: string;
  status: DeliveryStatus;
  attemptCount: number;
  lastStatusCode: number | null;
  lastErrorClass: ErrorClass | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type BrowseCounts = Record<BrowseStatus, number>;

/** Toward older rows (down the list) or newer rows (up the list). */
export type Direction = "older" | "newer";

const summaryColumns = `d.id, d.event_id, e.type AS event_type, ep.name AS endpoint_name, d.url, d.status,
  d.attempt_count, d.last_status_code, d.last_error_class, d.last_error, d.next_attempt_at, d.created_at, d.updated_at`;
const joins = "JOIN events e ON e.id = d.event_id LEFT JOIN endpoints ep ON ep.id = d.endpoint_id";
/** What the filter text is looked for in. */
const filterColumns = ["e.type", "d.url", "d.id", "d.event_id", "ep.name"] as const;

type Cursor = "<" | "<=" | ">" | undefined;

/** How many rows a filter matches, counted up to a cap; `capped` means "at least". */
export interface MatchCount {
  count: number;
  capped: boolean;
}

/** What differs between the backends' SQL for the same browse query. */
export interface BrowseDialect {
  /** A case-insensitive "contains" test of the filter text against each column. */
  contains(columns: readonly string[], text: string): { sql: string; param: string };
}

/** SQLite: LIKE (case-insensitive for ASCII), or instr() for text past LIKE's pattern limit. */
const sqliteDialect: BrowseDialect = { contains: containsClause };

/** One browse query as SQL with `@name` parameters, the same for both backends but the dialect's test. */
export function browseSql(
  dialect: BrowseDialect,
  query: BrowseQuery,
  columns: "id" | "summary",
  cursor: Cursor,
  order: "ASC" | "DESC" | undefined,
  byId = false,
): { sql: string; params: Record<string, unknown> } {
  const filter = query.filter?.trim() ?? "";
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  if (query.status !== "all") {
    clauses.push("d.status = @status");
    params.status = query.status;
  }
  if (byId) clauses.push("d.id = @id");
  if (cursor) clauses.push(`d.id ${cursor} @cursor`);
  if (filter !== "") {
    const contains = dialect.contains(filterColumns, filter);
    clauses.push(contains.sql);
    params.like = contains.param;
  }
  const withJoins = columns === "summary" || filter !== "";
  const from = withJoins ? `deliveries d ${joins}` : "deliveries d";
  const where = clauses.length > 0 ? ` WHERE ${clauses.join(" AND ")}` : "";
  const orderBy = order ? ` ORDER BY d.id ${order}` : "";
  const selected = columns === "summary" ? summaryColumns : "d.id";
  return { sql: `SELECT ${selected} FROM ${from}${where}${orderBy}`, params };
}

/** A filtered count stops after `cap + 1` rows, so a broad filter over a huge log stays cheap. */
export function countMatchingSql(sql: string): string {
  return `SELECT COUNT(*) AS n FROM (${sql} LIMIT @cap) AS matching`;
}

export function toSummary(raw: Record<string, unknown>): DeliverySummary {
  return {
    id: raw.id as string,
    eventId: raw.event_id as string,
    eventType: raw.event_type as string,
    endpointName: (raw.endpoint_name as string | null) ?? null,
    url: raw.url as string,
    status: raw.status as DeliveryStatus,
    attemptCount: raw.attempt_count as number,
    lastStatusCode: (raw.last_status_code as number | null) ?? null,
    lastErrorClass: (raw.last_error_class as ErrorClass | null) ?? null,
    lastError: (raw.last_error as string | null) ?? null,
    nextAttemptAt: (raw.next_attempt_at as number | null) ?? null,
    createdAt: raw.created_at as number,
    updatedAt: raw.updated_at as number,
  };
}

/**
 * Reads for one open SQLite log; prepared statements are cached per query shape. Every answer is
 * synchronous: the TUI runs a whole keystroke's queries in one turn and draws one frame.
 */
export class DeliveryBrowser {
  private readonly statements = new Map<string, ReturnType<Db["prepare"]>>();

  constructor(private readonly db: Db) {}

  /** How many deliveries each tab holds (an index-only scan of the status index). */
  counts(): BrowseCounts {
    return withAll(countByStatus(this.db));
  }

  /**
   * How many rows match a filtered query, counting at most `cap` so a broad filter over a
   * huge log stays cheap; `capped` means "at least".
   */
  countMatching(query: BrowseQuery, cap: number): MatchCount {
    const { sql, params } = browseSql(sqliteDialect, query, "id", undefined, "DESC");
    const count = this.prepare(countMatchingSql(sql))
      .pluck()
      .get({ ...params, cap: cap + 1 }) as number;
    return cappedCount(count, cap);
  }

  /** Up to `limit` rows, newest first, starting at `fromId` (inclusive) or at the newest row. */
  page(query: BrowseQuery, fromId: string | null, limit: number): DeliverySummary[] {
    const cursor = fromId === null ? undefined : "<=";
    const { sql, params } = browseSql(sqliteDialect, query, "summary", cursor, "DESC");
    const rows = this.prepare(`${sql} LIMIT @limit`).all({ ...params, cursor: fromId, limit }) as Record<
      string,
      unknown
    >[];
    return rows.map(toSummary);
  }

  /**
   * The id up to `n` rows away from `fromId` (exclusive) in `direction`: the n-th one, or the
   * furthest that exists; undefined when there is none. `fromId` need not still exist.
   */
  step(query: BrowseQuery, fromId: string, direction: Direction, n: number): string | undefined {
    const older = direction === "older";
    const { sql, params } = browseSql(sqliteDialect, query, "id", older ? "<" : ">", older ? "DESC" : "ASC");
    const ids = this.prepare(`${sql} LIMIT @limit`)
      .pluck()
      .all({ ...params, cursor: fromId, limit: Math.max(1, n) }) as string[];
    return ids.at(-1);
  }

  /** The newest or oldest matching id. */
  edge(query: BrowseQuery, which: "newest" | "oldest"): string | undefined {
    const order = which === "newest" ? "DESC" : "ASC";
    const { sql, params } = browseSql(sqliteDialect, query, "id", undefined, order);
    return this.prepare(`${sql} LIMIT 1`).pluck().get(params) as string | undefined;
  }

  /** One row by id, if it still matches the query. */
  find(query: BrowseQuery, id: string): DeliverySummary | undefined {
    const { sql, params } = browseSql(sqliteDialect, query, "summary", undefined, undefined, true);
    const raw = this.prepare(sql).get({ ...params, id }) as Record<string, unknown> | undefined;
    return raw ? toSummary(raw) : undefined;
  }

  /**
   * Changes whenever another connection commits to the log (SQLite's `data_version`): a poll
   * that sees the same number can skip every other query. Our own writes do not change it.
   */
  changeMark(): number {
    return this.prepare("PRAGMA data_version").pluck().get() as number;
  }

  private prepare(sql: string): ReturnType<Db["prepare"]> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** Per-status counts with the "all" tab's total. */
export function withAll(byStatus: Record<DeliveryStatus, number>): BrowseCounts {
  const all = byStatus.pending + byStatus.in_flight + byStatus.succeeded + byStatus.dead;
  return { ...byStatus, all };
}

/** A count of up to `cap + 1` rows as what the filter bar shows. */
export function cappedCount(count: number, cap: number): MatchCount {
  return { count: Math.min(count, cap), capped: count > cap };
}
