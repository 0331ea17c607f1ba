import { getEvent } from "./events.js";
import { type DeliveryListItem, listingSelect, toListItem } from "./listing.js";
import type { Db } from "./open.js";
import type { EventRow } from "./types.js";

/** An event with the key it was accepted under and every delivery made of it. */
export interface EventDetail {
  event: EventRow;
  /** Null when it was accepted without one, or the key is older than the caller keeps keys. */
  idempotencyKey: string | null;
  /** Oldest first (fan-out order). */
  deliveries: DeliveryListItem[];
}

/** One event by its full id, undefined if unknown; a key created before `keysSince` is not shown. */
export function loadEventDetail(db: Db, id: string, keysSince: number): EventDetail | undefined {
  const event = getEvent(db, id);
  if (!event) return undefined;
  const key = db
    .prepare(
      "SELECT key FROM idempotency_keys WHERE event_id = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1",
    )
    .pluck()
    .get(id, keysSince) as string | undefined;
  const rows = db.prepare(`${listingSelect} WHERE d.event_id = ? ORDER BY d.id`).all(id) as Record<
    string,
    unknown
  >[];
  return { event, idempotencyKey: key ?? null, deliveries: rows.map(toListItem) };
}
