import { getEvent, insertEventSql } from "./events.js";
import { newId } from "./ids.js";
import { type DeliveryListItem, listingSelect, toListItem } from "./listing.js";
import type { Db } from "./open.js";
import { eventGlob } from "./patterns.js";

export type { DeliveryListItem } from "./listing.js";

import { tlsColumns, toAttempt, toDelivery } from "./rows.js";
import type { AttemptRow, DeliveryRow, DeliveryStatus, EventRow, TlsSetting } from "./types.js";

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
  /** Absent or null: the system's trust store. */
  tls?: TlsSetting | null;
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
  createEventsWithDeliveries(db, [{ event, deliveries }], now);
}

export function getDelivery(db: Db, id: string): DeliveryRow | undefined {
  const row = db.prepare("SELECT * FROM deliveries WHERE id = ?").get(id);
  return row ? toDelivery(row as Record<string, unknown>) : undefined;
}

export function listAttempts(db: Db, deliveryId: string): AttemptRow[] {
  const rows = db.prepare("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY number").all(deliveryId);
  return (rows as Record<string, unknown>[]).map(toAttempt);
}

/** One event with the deliveries to create for it (`send --count` persists many at once). */
export interface NewEventDeliveries {
  event: EventRow;
  deliveries: readonly NewDelivery[];
}

/** Writes one new delivery, pending and due at `@now`; its parameters are `newDeliveryParams`' plus `now`. */
export const insertNewDeliverySql = `
  INSERT INTO deliveries (id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms,
    tls_insecure, tls_ca, status, next_attempt_at, next_trigger, created_at, updated_at)
  VALUES (@id, @eventId, @endpointId, @url, @scheme, @extraHeaders, @secrets, @policy, @timeoutMs,
    @tlsInsecure, @tlsCa, 'pending', @now, 'initial', @now, @now)`;

/**
 * Persist many events with their deliveries, pending and due at `now`, in transactions of at
 * most `chunk` events: every one is written before any network I/O, and a long batch never
 * holds the write lock long enough to stall another hookctl process.
 */
export function createEventsWithDeliveries(
  db: Db,
  items: readonly NewEventDeliveries[],
  now: number,
  chunk = 500,
): void {
  const insertEventStmt = db.prepare(insertEventSql);
  const insert = db.prepare(insertNewDeliverySql);
  const writeChunk = db.transaction((slice: readonly NewEventDeliveries[]) => {
    for (const { event, deliveries } of slice) {
      insertEventStmt.run(event);
      for (const delivery of deliveries) {
        insert.run({ ...newDeliveryParams(delivery, event.id), now });
      }
    }
  });
  for (let start = 0; start < items.length; start += chunk) {
    writeChunk.immediate(items.slice(start, start + chunk));
  }
}

/** The named parameters every insert of a new delivery binds (its JSON and TLS columns as stored). */
export function newDeliveryParams(delivery: NewDelivery, eventId: string) {
  return {
    ...delivery,
    ...tlsColumns(delivery.tls),
    eventId,
    extraHeaders: JSON.stringify(delivery.extraHeaders),
    secrets: delivery.secrets ? JSON.stringify(delivery.secrets) : null,
  };
}

/** A delivery row exactly as it is written new (send's inserts read nothing back). */
export function createdRow(delivery: NewDelivery, eventId: string, now: number): DeliveryRow {
  // Spelled out in toDelivery's field order (no spread): one object shape for every row keeps
  // the attempt path's property reads fast.
  return {
    id: delivery.id,
    eventId,
    endpointId: delivery.endpointId,
    url: delivery.url,
    scheme: delivery.scheme,
    extraHeaders: delivery.extraHeaders,
    secrets: delivery.secrets,
    policy: delivery.policy,
    timeoutMs: delivery.timeoutMs,
    tls: delivery.tls ?? null,
    status: "pending",
    attemptCount: 0,
    scheduleAttempts: 0,
    nextAttemptAt: now,
    nextTrigger: "initial",
    leaseToken: null,
    leaseExpiresAt: null,
    lastStatusCode: null,
    lastErrorClass: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
    damage: null,
  };
}

/**
 * Make a finished or waiting delivery pending again, due now, for a deliberate re-send with the
 * same delivery id (`send --duplicate`). The retry schedule starts over; in-flight rows are
 * left alone. Returns false when the row is in flight or missing.
 */
export function reopenDelivery(db: Db, id: string, now: number): boolean {
  return db.prepare(reopenSql).run({ id, now }).changes === 1;
}

/** `reopenDelivery`'s statement, for a caller that prepares it once (the engine's store). */
export const reopenSql = `
  UPDATE deliveries SET status = 'pending', schedule_attempts = 0, next_attempt_at = @now,
    next_trigger = 'manual', updated_at = @now, completed_at = NULL
  WHERE id = @id AND status != 'in_flight'`;

/** What `hookctl log` filters on; every field is optional. */
export interface DeliveryFilter {
  status?: DeliveryStatus;
  /** Event type glob: `*` any run, `?` one character, case-sensitive (`order.*`). */
  eventGlob?: string;
  /** Only deliveries to this named endpoint. */
  endpointName?: string;
  /** Created at or after this instant (ms since the epoch). */
  since?: number;
  limit?: number;
}

/**
 * Deliveries matching a filter, newest first. Ids are time-sortable, so `since` also becomes a
 * lower bound on the primary key and the scan stops at the limit either way.
 */
export function listDeliveries(db: Db, filter: DeliveryFilter = {}): DeliveryListItem[] {
  const clauses: string[] = [];
  const params: Record<string, unknown> = { limit: filter.limit ?? -1 };
  if (filter.status !== undefined) {
    clauses.push("d.status = @status");
    params.status = filter.status;
  }
  if (filter.since !== undefined) {
    clauses.push("d.id >= @sinceId AND d.created_at >= @since");
    params.since = filter.since;
    params.sinceId = newId("dlv", Math.max(0, filter.since), (size) => new Uint8Array(size));
  }
  if (filter.eventGlob !== undefined) {
    clauses.push("e.type GLOB @glob");
    params.glob = eventGlob(filter.eventGlob);
  }
  if (filter.endpointName !== undefined) {
    clauses.push("d.endpoint_id = (SELECT id FROM endpoints WHERE name = @endpoint)");
    params.endpoint = filter.endpointName;
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
  const rows = db.prepare(`${listingSelect} ${where} ORDER BY d.id DESC LIMIT @limit`).all(params) as Record<
    string,
    unknown
  >[];
  return rows.map(toListItem);
}

/** Everything `log show` and `dlq show` render about one delivery. */
export interface DeliveryDetail {
  delivery: DeliveryRow;
  event: EventRow;
  attempts: AttemptRow[];
  endpointName: string | null;
  /**
   * Every secret that could appear in what was sent (the delivery's own and all its endpoint's,
   * expired ones too), so renderers can mask them wherever they occur. Never print these.
   */
  secrets: string[];
}

/** One delivery with its event, attempts and the secrets to mask; undefined if unknown. */
export function loadDeliveryDetail(db: Db, id: string): DeliveryDetail | undefined {
  const raw = db
    .prepare(`SELECT d.*, ep.name AS endpoint_name FROM deliveries d
      LEFT JOIN endpoints ep ON ep.id = d.endpoint_id WHERE d.id = ?`)
    .get(id) as Record<string, unknown> | undefined;
  if (!raw) return undefined;
  const delivery = toDelivery(raw);
  const event = getEvent(db, delivery.eventId);
  if (!event) return undefined;
  const endpointSecrets = delivery.endpointId
    ? (db
        .prepare("SELECT secret FROM endpoint_secrets WHERE endpoint_id = ?")
        .pluck()
        .all(delivery.endpointId) as string[])
    : [];
  return {
    delivery,
    event,
    attempts: listAttempts(db, id),
    endpointName: (raw.endpoint_name as string | null) ?? null,
    secrets: [...new Set([...(delivery.secrets ?? []), ...endpointSecrets])],
  };
}
