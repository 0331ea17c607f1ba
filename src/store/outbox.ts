import { insertNewDeliverySql, type NewDelivery, newDeliveryParams } from "./deliveries.js";
import { type EndpointRow, getEndpointByName, listEndpoints } from "./endpoints.js";
import { insertEventSql } from "./events.js";
import type { DeliveryListItem } from "./listing.js";
import type { Db } from "./open.js";
import { describeDeliveries, requeueDeliveries } from "./queue.js";
import type { EventRow } from "./types.js";

/** One event as a client handed it to `serve`, checked, not yet given ids. */
export interface IncomingEvent {
  type: string;
  body: Buffer;
  contentType: string;
  /** The client's key and the sha256 (hex) of the bytes it was sent with; null: no key. */
  idempotency: { key: string; requestSha256: string } | null;
}

/** What to write for a new event: the row, its deliveries, and the answer a repeat gets back. */
export interface PlannedEvent {
  event: EventRow;
  deliveries: readonly NewDelivery[];
  /** The answer as JSON text, kept with the idempotency key. */
  response: string;
}

/** Turns an incoming event into rows, given the endpoints as this transaction sees them. */
export type PlanEvent = (incoming: IncomingEvent, endpoints: readonly EndpointRow[]) => PlannedEvent;

export type Admission =
  | { kind: "created"; eventId: string; response: string; deliveries: number }
  /** The key was seen with the same bytes: the first answer, nothing written. */
  | { kind: "duplicate"; eventId: string; response: string };

/** One request's events, all admitted, or refused at `conflict` (its key came with other bytes). */
export type RequestOutcome = { admitted: Admission[] } | { conflict: number };

export interface AdmitOptions {
  /** Keys created before this instant have expired: a repeat of one is a new event. */
  keyCutoff: number;
  plan: PlanEvent;
}

/** A request refused inside its savepoint, which rolls its writes back. */
class KeyConflict extends Error {
  constructor(readonly index: number) {
    super("idempotency key reused with different bytes");
  }
}

interface Statements {
  findKey: { get(key: string, cutoff: number): unknown };
  insertKey: { run(params: Record<string, unknown>): unknown };
  insertEvent: { run(event: EventRow): unknown };
  insertDelivery: { run(params: Record<string, unknown>): unknown };
  prune: { run(cutoff: number, limit: number): { changes: number } };
}

const prepared = new WeakMap<Db, Statements>();

function statements(db: Db): Statements {
  let found = prepared.get(db);
  if (!found) {
    found = {
      findKey: db.prepare(
        "SELECT request_sha256 AS sha, event_id AS eventId, response FROM idempotency_keys WHERE key = ? AND created_at >= ?",
      ),
      // REPLACE: an expired key not yet pruned gives way to its new event.
      insertKey:
        db.prepare(`INSERT OR REPLACE INTO idempotency_keys (key, request_sha256, event_id, response, created_at)
        VALUES (@key, @requestSha256, @eventId, @response, @createdAt)`),
      insertEvent: db.prepare(insertEventSql),
      insertDelivery: db.prepare(insertNewDeliverySql),
      prune: db.prepare(`DELETE FROM idempotency_keys WHERE rowid IN
        (SELECT rowid FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)`),
    };
    prepared.set(db, found);
  }
  return found;
}

/**
 * The outbox's write: several requests (those that arrived together) in ONE transaction, so one
 * commit (one fsync) serves them all; each request in its own savepoint, so a request refused
 * for a reused key leaves the others standing. Within a request, each event is checked against
 * its idempotency key, then written with its deliveries (pending, due at its creation) and key.
 * Endpoints are read inside the transaction, so fan-out sees them as the commit does.
 */
export function admitRequests(
  db: Db,
  requests: readonly (readonly IncomingEvent[])[],
  options: AdmitOptions,
): RequestOutcome[] {
  const sql = statements(db);
  const admitOne = db.transaction((events: readonly IncomingEvent[], endpoints: readonly EndpointRow[]) =>
    events.map((incoming, index): Admission => {
      const key = incoming.idempotency;
      if (key) {
        const seen = sql.findKey.get(key.key, options.keyCutoff) as
          | { sha: string; eventId: string; response: string }
          | undefined;
        if (seen) {
          if (seen.sha !== key.requestSha256) throw new KeyConflict(index);
          return { kind: "duplicate", eventId: seen.eventId, response: seen.response };
        }
      }
      const planned = options.plan(incoming, endpoints);
      const { event } = planned;
      sql.insertEvent.run(event);
      for (const delivery of planned.deliveries) {
        sql.insertDelivery.run({ ...newDeliveryParams(delivery, event.id), now: event.createdAt });
      }
      if (key) {
        sql.insertKey.run({
          ...key,
          eventId: event.id,
          response: planned.response,
          createdAt: event.createdAt,
        });
      }
      return {
        kind: "created",
        eventId: event.id,
        response: planned.response,
        deliveries: planned.deliveries.length,
      };
    }),
  );
  return db
    .transaction((): RequestOutcome[] => {
      const endpoints = listEndpoints(db);
      return requests.map((events) => {
        try {
          return { admitted: admitOne(events, endpoints) };
        } catch (error) {
          if (error instanceof KeyConflict) return { conflict: error.index };
          throw error;
        }
      });
    })
    .immediate();
}

/**
 * Forget idempotency keys created before `cutoff`, at most `limit` of them in one short
 * transaction (call again while it returns `limit`).
 */
export function pruneIdempotencyKeys(db: Db, cutoff: number, limit = 500): number {
  return statements(db).prune.run(cutoff, limit).changes;
}

/** What `POST /v1/deliveries/{id}/retry` did: requeued (the delivery as it now stands), or why not. */
export type RetryOutcome =
  | { outcome: "requeued"; item: DeliveryListItem }
  | { outcome: "leased" }
  | { outcome: "missing" };

/**
 * Due now, as a manual attempt with its schedule reset (what `hookctl replay <id>` does), unless
 * an engine holds it under a live lease; then the delivery as a listing shows it.
 */
export function retryDelivery(db: Db, id: string, now: number): RetryOutcome {
  const [result] = requeueDeliveries(db, [id], { now });
  if (result?.outcome !== "requeued") return { outcome: result?.reason === "leased" ? "leased" : "missing" };
  const [item] = describeDeliveries(db, [id]);
  return item ? { outcome: "requeued", item } : { outcome: "missing" };
}

/** Whether an endpoint of this name exists (a listing filtered by an unknown one is refused). */
export function endpointExists(db: Db, name: string): boolean {
  return getEndpointByName(db, name) !== undefined;
}
