import type { DeliveryDetail, DeliveryFilter } from "../deliveries.js";
import type { EventDetail } from "../event-detail.js";
import { newId } from "../ids.js";
import { type DeliveryListItem, toListItem } from "../listing.js";
import { globRegex } from "../patterns.js";
import type { DeliveryReads } from "../ports/deliveries.js";
import type { DeadLetterQuery, DeliverySelector, QueuedDelivery, StatusCounts } from "../queue.js";
import { toAttempt, toDelivery, toEvent } from "../rows.js";
import { type AttemptRow, type DeliveryRow, deliveryStatuses, type EventRow } from "../types.js";
import type { PgPool } from "./connect.js";
import { Params } from "./exchange-sql.js";

type Raw = Record<string, unknown>;

/** A pool or one of its clients (inside a transaction): what a query runs on. */
export type Queryable = Pick<PgPool, "query">;

// listing.ts's SELECT, with json_agg for json_group_array (text, as SQLite gives it).
export const pgListingSelect = `SELECT d.*, e.type AS event_type, ep.name AS endpoint_name,
  (SELECT duration_ms FROM attempts a WHERE a.delivery_id = d.id ORDER BY a.number DESC LIMIT 1) AS last_duration_ms,
  (SELECT started_at FROM attempts a WHERE a.delivery_id = d.id ORDER BY a.number DESC LIMIT 1) AS last_attempt_at,
  (SELECT json_agg(s.secret ORDER BY s.created_at, s.id)::text FROM endpoint_secrets s
    WHERE s.endpoint_id = d.endpoint_id) AS endpoint_secrets
  FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN endpoints ep ON ep.id = d.endpoint_id`;

/** An event-type glob as a condition on `e.type` (SQLite's GLOB, see globRegex). */
function globCondition(p: Params, glob: string): string {
  const regex = globRegex(glob);
  return regex === null ? "FALSE" : `e.type ~ ${p.add(regex, "text")}`;
}

/** queue.ts's selectorSql on PostgreSQL: a WHERE over `d`, `e` (and its parameters in `p`). */
export function pgSelectorWhere(p: Params, selector: DeliverySelector): string {
  const clauses: string[] = [];
  if (selector.status !== undefined) {
    const wanted = typeof selector.status === "string" ? [selector.status] : selector.status;
    const statuses = deliveryStatuses.filter((status) => wanted.includes(status));
    clauses.push(`d.status IN (${statuses.map((status) => `'${status}'`).join(", ") || "NULL"})`);
  }
  if (selector.since !== undefined) clauses.push(`d.created_at >= ${p.add(selector.since, "bigint")}`);
  if (selector.olderThan !== undefined) {
    clauses.push(`COALESCE(d.completed_at, d.updated_at) < ${p.add(selector.olderThan, "bigint")}`);
  }
  if (selector.eventGlob !== undefined) clauses.push(globCondition(p, selector.eventGlob));
  if (selector.endpointName !== undefined) {
    clauses.push(
      `d.endpoint_id = (SELECT id FROM endpoints WHERE name = ${p.add(selector.endpointName, "text")})`,
    );
  }
  return clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
}

/** A LIMIT clause as SQLite's selectors write it (none: every row). */
export function limitSql(limit: number | undefined): string {
  return limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(limit))}` : "";
}

const noCounts = (): StatusCounts => ({ pending: 0, in_flight: 0, succeeded: 0, dead: 0 });

/** How many ids one `= ANY(…)` array carries. */
const arrayChunk = 10_000;

/** DeliveryReads over a PostgreSQL log: the same rows, in the same order, as SQLite's. */
export class PgDeliveryReads implements DeliveryReads {
  constructor(private readonly pool: Queryable) {}

  async getDelivery(id: string): Promise<DeliveryRow | undefined> {
    const { rows } = await this.pool.query<Raw>("SELECT * FROM deliveries WHERE id = $1", [id]);
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  async getEvent(id: string): Promise<EventRow | undefined> {
    const { rows } = await this.pool.query<Raw>("SELECT * FROM events WHERE id = $1", [id]);
    return rows[0] ? toEvent(rows[0]) : undefined;
  }

  async listAttempts(deliveryId: string): Promise<AttemptRow[]> {
    const { rows } = await this.pool.query<Raw>(
      "SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY number",
      [deliveryId],
    );
    return rows.map(toAttempt);
  }

  async listDeliveries(filter: DeliveryFilter = {}): Promise<DeliveryListItem[]> {
    const p = new Params();
    const clauses: string[] = [];
    if (filter.status !== undefined) clauses.push(`d.status = ${p.add(filter.status, "text")}`);
    if (filter.since !== undefined) {
      const sinceId = newId("dlv", Math.max(0, filter.since), (size) => new Uint8Array(size));
      clauses.push(`d.id >= ${p.add(sinceId, "text")} AND d.created_at >= ${p.add(filter.since, "bigint")}`);
    }
    if (filter.eventGlob !== undefined) clauses.push(globCondition(p, filter.eventGlob));
    if (filter.endpointName !== undefined) {
      clauses.push(
        `d.endpoint_id = (SELECT id FROM endpoints WHERE name = ${p.add(filter.endpointName, "text")})`,
      );
    }
    const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
    // SQLite's LIMIT -1 is no limit.
    const limit = filter.limit !== undefined && filter.limit >= 0 ? limitSql(filter.limit) : "";
    const { rows } = await this.pool.query<Raw>(
      `${pgListingSelect} ${where} ORDER BY d.id DESC ${limit}`,
      p.values,
    );
    return rows.map(toListItem);
  }

  async loadDeliveryDetail(id: string): Promise<DeliveryDetail | undefined> {
    const { rows } = await this.pool.query<Raw>(
      `SELECT d.*, ep.name AS endpoint_name,
         (SELECT array_agg(s.secret ORDER BY s.created_at, s.id) FROM endpoint_secrets s
           WHERE s.endpoint_id = d.endpoint_id) AS endpoint_secret_list
       FROM deliveries d LEFT JOIN endpoints ep ON ep.id = d.endpoint_id WHERE d.id = $1`,
      [id],
    );
    const raw = rows[0];
    if (!raw) return undefined;
    const delivery = toDelivery(raw);
    const [event, attempts] = await Promise.all([this.getEvent(delivery.eventId), this.listAttempts(id)]);
    if (!event) return undefined;
    const endpointSecrets = (raw.endpoint_secret_list as string[] | null) ?? [];
    return {
      delivery,
      event,
      attempts,
      endpointName: (raw.endpoint_name as string | null) ?? null,
      secrets: [...new Set([...(delivery.secrets ?? []), ...endpointSecrets])],
    };
  }

  async loadEventDetail(id: string, keysSince: number): Promise<EventDetail | undefined> {
    const event = await this.getEvent(id);
    if (!event) return undefined;
    const [keys, deliveries] = await Promise.all([
      this.pool.query<{ key: string }>(
        "SELECT key FROM idempotency_keys WHERE event_id = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT 1",
        [id, keysSince],
      ),
      this.pool.query<Raw>(`${pgListingSelect} WHERE d.event_id = $1 ORDER BY d.id`, [id]),
    ]);
    return {
      event,
      idempotencyKey: keys.rows[0]?.key ?? null,
      deliveries: deliveries.rows.map(toListItem),
    };
  }

  async countByStatus(): Promise<StatusCounts> {
    const { rows } = await this.pool.query<{ status: keyof StatusCounts; n: number }>(
      "SELECT status, count(*)::int AS n FROM deliveries GROUP BY status",
    );
    const counts = noCounts();
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  async countByStatusOf(idList: readonly string[]): Promise<StatusCounts> {
    const counts = noCounts();
    for (let start = 0; start < idList.length; start += arrayChunk) {
      const { rows } = await this.pool.query<{ status: keyof StatusCounts; n: number }>(
        "SELECT status, count(*)::int AS n FROM deliveries WHERE id = ANY($1::text[]) GROUP BY status",
        [idList.slice(start, start + arrayChunk)],
      );
      for (const row of rows) counts[row.status] += row.n;
    }
    return counts;
  }

  async describeDeliveries(idList: readonly string[]): Promise<QueuedDelivery[]> {
    const byId = new Map<string, DeliveryListItem>();
    for (let start = 0; start < idList.length; start += arrayChunk) {
      const { rows } = await this.pool.query<Raw>(`${pgListingSelect} WHERE d.id = ANY($1::text[])`, [
        idList.slice(start, start + arrayChunk),
      ]);
      for (const raw of rows) byId.set(raw.id as string, toListItem(raw));
    }
    return idList.flatMap((id) => byId.get(id) ?? []);
  }

  async listDeadLetters(query: DeadLetterQuery = {}): Promise<QueuedDelivery[]> {
    const p = new Params();
    const where = pgSelectorWhere(p, { ...query, status: "dead" });
    const { rows } = await this.pool.query<Raw>(
      `${pgListingSelect} ${where} ORDER BY d.id DESC ${limitSql(query.limit)}`,
      p.values,
    );
    return rows.map(toListItem);
  }
}
