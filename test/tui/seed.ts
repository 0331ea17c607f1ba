import { randomBytes } from "node:crypto";
import { createEventWithDeliveries } from "../../src/store/deliveries.js";
import { newId } from "../../src/store/ids.js";
import { Leases } from "../../src/store/leases.js";
import type { Db } from "../../src/store/open.js";
import type { DeliveryStatus } from "../../src/store/types.js";
import { seedEndpoint } from "../helpers/endpoints.js";

/** The clock every seeded row is measured against: ages read "1m", "2m", … */
export const seedNow = Date.UTC(2025, 2, 1, 12, 0, 0);

export interface SeedOne {
  type?: string;
  url?: string;
  endpoint?: string;
  status?: DeliveryStatus;
  /** Created this many ms before seedNow. */
  agoMs?: number;
  body?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * One event and delivery made the way hookctl makes them: persisted pending, then (for dead or
 * succeeded) claimed under a lease and completed with a recorded attempt.
 */
export function seedDelivery(db: Db, options: SeedOne = {}): string {
  const created = seedNow - (options.agoMs ?? 60_000);
  const eventId = newId("evt", created, randomBytes);
  const id = newId("dlv", created, randomBytes);
  let endpointId: string | null = null;
  if (options.endpoint) {
    const existing = db.prepare("SELECT id FROM endpoints WHERE name = ?").pluck().get(options.endpoint);
    endpointId = (existing as string | undefined) ?? newId("ep", created, randomBytes);
    if (!existing) {
      seedEndpoint(
        db,
        {
          id: endpointId,
          name: options.endpoint,
          url: options.url ?? "http://127.0.0.1:9/hooks",
          createdAt: created,
        },
        ["whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="],
      );
    }
  }
  const body =
    options.body ??
    Buffer.from(JSON.stringify({ id: eventId, type: options.type ?? "order.created", amount: 42 }));
  createEventWithDeliveries(
    db,
    {
      id: eventId,
      type: options.type ?? "order.created",
      body,
      contentType: options.contentType ?? "application/json",
      createdAt: created,
    },
    [
      {
        id,
        endpointId,
        url: options.url ?? "http://127.0.0.1:9/hooks",
        scheme: "hookctl",
        extraHeaders: {},
        secrets: null,
        policy: "{}",
        timeoutMs: 5000,
      },
    ],
    created,
  );
  const status = options.status ?? "dead";
  if (status === "pending") return id;
  const leases = new Leases(db);
  const token = `tok-${id}`;
  leases.claimById(id, { now: created + 10, leaseMs: 30_000, token });
  if (status === "in_flight") return id;
  const ok = status === "succeeded";
  leases.complete(
    token,
    {
      deliveryId: id,
      number: 1,
      trigger: "initial",
      url: options.url ?? "http://127.0.0.1:9/hooks",
      requestHeaders: {
        "content-type": "application/json",
        "x-webhook-delivery-id": id,
        "x-signature": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012345",
        authorization: "Bearer sk_live_abcdefghijklmnop",
        ...options.headers,
      },
      startedAt: created + 10,
      durationMs: 37,
      statusCode: ok ? 200 : 503,
      responseHeaders: { "content-type": "application/json" },
      responseBody: Buffer.from(ok ? '{"ok":true}' : '{"error":"upstream unavailable"}'),
      responseTruncated: false,
      errorClass: ok ? null : "http",
      errorMessage: ok ? null : "HTTP 503",
    },
    ok ? { status: "succeeded" } : { status: "dead" },
    created + 50,
  );
  return id;
}

/** `count` dead letters one minute apart, newest last; returns their ids oldest first. */
export function seedDead(
  db: Db,
  count: number,
  type: (i: number) => string = (i) => `order.created.${i}`,
): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(seedDelivery(db, { type: type(i), agoMs: (count - i) * 60_000 }));
  return ids;
}
