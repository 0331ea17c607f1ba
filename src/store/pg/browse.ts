import {
  type BrowseCounts,
  type BrowseDialect,
  type BrowseQuery,
  browseSql,
  cappedCount,
  countMatchingSql,
  type DeliverySummary,
  type Direction,
  type MatchCount,
  toSummary,
  withAll,
} from "../browse.js";
import { pgContainsClause } from "../patterns.js";
import type { PgPool } from "./connect.js";
import { PgDeliveryReads } from "./deliveries.js";

/** SQLite's LIKE exactly (ASCII case folded, no pattern syntax), bound as `@like` like SQLite's. */
const pgDialect: BrowseDialect = {
  contains: (columns, text) => {
    const { sql, value } = pgContainsClause(columns, text, "@like");
    return { sql, param: value };
  },
};

/** `@name` parameters as `$n`, with the values in that order (a name used twice binds once). */
function positional(sql: string, params: Record<string, unknown>): { text: string; values: unknown[] } {
  const names: string[] = [];
  const text = sql.replace(/@(\w+)/g, (_, name: string) => {
    let index = names.indexOf(name);
    if (index < 0) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  return { text, values: names.map((name) => params[name]) };
}

type Raw = Record<string, unknown>;

/**
 * DeliveryBrowser (store/browse.ts) on PostgreSQL: the same SQL, walking the same
 * `deliveries_by_status(status, id)` index from a cursor, so a page costs the same at any depth.
 * Ids are `dlv_` + an uppercase ULID, which sort alike under any collation, so the index's own
 * order is SQLite's byte order.
 */
export class PgDeliveryBrowser {
  constructor(private readonly pool: PgPool) {}

  async counts(): Promise<BrowseCounts> {
    return withAll(await new PgDeliveryReads(this.pool).countByStatus());
  }

  async countMatching(query: BrowseQuery, cap: number): Promise<MatchCount> {
    const { sql, params } = browseSql(pgDialect, query, "id", undefined, "DESC");
    const [row] = await this.rows(countMatchingSql(sql), { ...params, cap: cap + 1 });
    return cappedCount(Number(row?.n ?? 0), cap);
  }

  async page(query: BrowseQuery, fromId: string | null, limit: number): Promise<DeliverySummary[]> {
    const cursor = fromId === null ? undefined : "<=";
    const { sql, params } = browseSql(pgDialect, query, "summary", cursor, "DESC");
    const rows = await this.rows(`${sql} LIMIT @limit`, { ...params, cursor: fromId, limit });
    return rows.map(toSummary);
  }

  async step(
    query: BrowseQuery,
    fromId: string,
    direction: Direction,
    n: number,
  ): Promise<string | undefined> {
    const older = direction === "older";
    const { sql, params } = browseSql(pgDialect, query, "id", older ? "<" : ">", older ? "DESC" : "ASC");
    const rows = await this.rows(`${sql} LIMIT @limit`, { ...params, cursor: fromId, limit: Math.max(1, n) });
    return rows.at(-1)?.id as string | undefined;
  }

  async edge(query: BrowseQuery, which: "newest" | "oldest"): Promise<string | undefined> {
    const order = which === "newest" ? "DESC" : "ASC";
    const { sql, params } = browseSql(pgDialect, query, "id", undefined, order);
    const [row] = await this.rows(`${sql} LIMIT 1`, params);
    return row?.id as string | undefined;
  }

  async find(query: BrowseQuery, id: string): Promise<DeliverySummary | undefined> {
    const { sql, params } = browseSql(pgDialect, query, "summary", undefined, undefined, true);
    const [row] = await this.rows(sql, { ...params, id });
    return row ? toSummary(row) : undefined;
  }

  /**
   * The server's current transaction snapshot (xmin:xmax:in-progress xids). Two equal snapshots
   * see exactly the same committed data, so an unchanged one lets a poll skip every other
   * query; a commit anywhere (starting or ending a writing transaction) changes it. Unlike
   * NOTIFY (sent only when work becomes due) it misses no change — a purge, a success, a
   * death — and unlike max(updated_at) it needs no table read and no agreement between clocks.
   * Writes to other tables or databases of the server change it too: one needless reload.
   */
  async changeMark(): Promise<string> {
    const { rows } = await this.pool.query<{ mark: string }>("SELECT pg_current_snapshot()::text AS mark");
    return rows[0]?.mark ?? "";
  }

  private async rows(sql: string, params: Record<string, unknown>): Promise<Raw[]> {
    const { text, values } = positional(sql, params);
    const { rows } = await this.pool.query<Raw>(text, values);
    return rows;
  }
}
