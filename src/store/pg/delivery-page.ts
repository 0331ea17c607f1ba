import type { DeliveryPageQuery } from "../delivery-page.js";
import { newId } from "../ids.js";
import { type DeliveryListItem, toListItem } from "../listing.js";
import { globRegex } from "../patterns.js";
import type { PgPool } from "./connect.js";
import { pgListingSelect as listingSelect } from "./deliveries.js";
import { Params } from "./exchange-sql.js";

type Raw = Record<string, unknown>;

/** One delivery as a listing shows it. */
export async function pgListItem(pool: PgPool, id: string): Promise<DeliveryListItem | undefined> {
  const { rows } = await pool.query<Raw>(`${listingSelect} WHERE d.id = $1`, [id]);
  return rows[0] ? toListItem(rows[0]) : undefined;
}

/**
 * store/delivery-page.ts on PostgreSQL: newest first by id (ids are upper-case Crockford digits
 * after a shared prefix, so every collation sorts them as bytes), a range scan of the primary
 * key or of (status, id); the event-type glob as SQLite's GLOB reads it.
 */
export async function pgDeliveryPage(
  pool: PgPool,
  query: DeliveryPageQuery,
): Promise<{ items: DeliveryListItem[]; more: boolean }> {
  const { text, values } = pgDeliveryPageSql(query);
  const { rows } = await pool.query<Raw>(text, values);
  const more = rows.length > query.limit;
  return { items: (more ? rows.slice(0, query.limit) : rows).map(toListItem), more };
}

/** The statement of one page, with its parameters (its query plan is checked in the tests). */
export function pgDeliveryPageSql(query: DeliveryPageQuery): { text: string; values: unknown[] } {
  const p = new Params();
  const where: string[] = [];
  if (query.beforeId !== undefined) where.push(`d.id < ${p.add(query.beforeId, "text")}`);
  if (query.status !== undefined) where.push(`d.status = ${p.add(query.status, "text")}`);
  if (query.eventGlob !== undefined) {
    const regex = globRegex(query.eventGlob);
    where.push(regex === null ? "FALSE" : `e.type ~ ${p.add(regex, "text")}`);
  }
  if (query.endpointName !== undefined) {
    where.push(
      `d.endpoint_id = (SELECT id FROM endpoints WHERE name = ${p.add(query.endpointName, "text")})`,
    );
  }
  if (query.since !== undefined) {
    // The id's time part bounds the scan; created_at is the exact test.
    const sinceId = newId("dlv", Math.max(0, query.since), (size) => new Uint8Array(size));
    where.push(`d.id >= ${p.add(sinceId, "text")} AND d.created_at >= ${p.add(query.since, "bigint")}`);
  }
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  const take = p.add(query.limit + 1, "int");
  return { text: `${listingSelect} ${filter} ORDER BY d.id DESC LIMIT ${take}`, values: p.values };
}
