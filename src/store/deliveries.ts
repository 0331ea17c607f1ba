import { insertEvent } from "./events.js";
import type { Db } from "./open.js";
import { toAttempt, toDelivery } from "./rows.js";
import type { AttemptRow, DeliveryRow, EventRow } from "./types.js";

export interface NewDelivery {
  id: string;
  endpointId: string | null;
  url: string;
  scheme: string;
  extraHeaders: Record<string, string>;
  secrets: string[] | null;
  /** RetryPolicy as JSON. */
  policy: string;
  timeoutMs: number;
}

/**
 * Persist an event and its deliveries in one transaction, pending and due at `now`: this
 * happens before any network I/O, so a crash afterwards loses nothing.
 */
export function createEventWithDeliveries(
  db: Db,
  event: EventRow,
  deliveries: readonly NewDelivery[],
  now: number,
): void {
  const insert = db.prepare(`
    INSERT INTO deliveries (id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms,
      status, next_attempt_at, next_trigger, created_at, updated_at)
    VALUES (@id, @eventId, @endpointId, @url, @scheme, @extraHeaders, @secrets, @policy, @timeoutMs,
      'pending', @now, 'initial', @now, @now)`);
  db.transaction(() => {
    insertEvent(db, event);
    for (const delivery of deliveries) {
      insert.run({
        ...delivery,
        eventId: event.id,
        extraHeaders: JSON.stringify(delivery.extraHeaders),
        secrets: delivery.secrets ? JSON.stringify(delivery.secrets) : null,
        now,
      });
    }
  }).immediate();
}

export function getDelivery(db: Db, id: string): DeliveryRow | undefined {
  const row = db.prepare("SELECT * FROM deliveries WHERE id = ?").get(id);
  return row ? toDelivery(row as Record<string, unknown>) : undefined;
}

export function listAttempts(db: Db, deliveryId: string): AttemptRow[] {
  const rows = db.prepare("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY number").all(deliveryId);
  return (rows as Record<string, unknown>[]).map(toAttempt);
}
