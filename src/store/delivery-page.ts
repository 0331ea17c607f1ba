import { newId } from "./ids.js";
import { type DeliveryListItem, listingSelect, toListItem } from "./listing.js";
import type { Db } from "./open.js";
import { eventGlob } from "./patterns.js";
import type { DeliveryStatus } from "./types.js";

/** One page of `GET /v1/deliveries`: the filters of `hookctl log`, and where the last page ended. */
export interface DeliveryPageQuery {
  status?: DeliveryStatus;
  /** Event type glob (`order.*`). */
  eventGlob?: string;
  endpointName?: string;
  /** Created at or after this instant (ms since the epoch). */
  since?: number;
  /** Only deliveries with an id below this one: the last id of the previous page. */
  beforeId?: string;
  limit: number;
}

/**
 * Deliveries newest first, keyset-paginated by id. Ids are time-sortable, so a delivery created
 * while a client pages sorts above the first page and never shifts a later one: no repeats, no
 * gaps. Each page is a range scan of the primary key, or of (status, id) under a status filter.
 * One row more than the limit is read so the caller knows whether another page follows.
 */
export function deliveryPage(db: Db, query: DeliveryPageQuery): { items: DeliveryListItem[]; more: boolean } {
  const { sql, params } = deliveryPageSql(query);
  const rows = db.prepare(sql).all(params) as Record<string, unknown>[];
  const more = rows.length > query.limit;
  return { items: (more ? rows.slice(0, query.limit) : rows).map(toListItem), more };
}

/** The statement of one page, with its parameters (its query plan is checked in the tests). */
export function deliveryPageSql(query: DeliveryPageQuery): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = { take: query.limit + 1 };
  const add = (clause: string, values: Record<string, unknown>) => {
    where.push(clause);
    Object.assign(params, values);
  };
  if (query.beforeId !== undefined) add("d.id < @beforeId", { beforeId: query.beforeId });
  if (query.status !== undefined) add("d.status = @status", { status: query.status });
  if (query.eventGlob !== undefined) add("e.type GLOB @glob", { glob: eventGlob(query.eventGlob) });
  if (query.endpointName !== undefined) {
    add("d.endpoint_id = (SELECT id FROM endpoints WHERE name = @endpoint)", {
      endpoint: query.endpointName,
    });
  }
  if (query.since !== undefined) {
    // The id's time part bounds the scan; created_at is the exact test.
    const sinceId = newId("dlv", Math.max(0, query.since), (size) => new Uint8Array(size));
    add("d.id >= @sinceId AND d.created_at >= @since", { sinceId, since: query.since });
  }
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  return { sql: `${listingSelect} ${filter} ORDER BY d.id DESC LIMIT @take`, params };
}
