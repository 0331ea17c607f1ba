import { randomBytes } from "node:crypto";
import { afterEach } from "vitest";
import { defaultIdempotencyTtlMs, emptyStats, type ServeApp } from "../../src/serve/app.js";
import { Problem, type ServeRequest } from "../../src/serve/http.js";
import { createEventsWithDeliveries, type NewDelivery } from "../../src/store/deliveries.js";
import { type IdPrefix, newId } from "../../src/store/ids.js";
import type { LogHandle } from "../../src/store/log-handle.js";
import { type Db, openDb } from "../../src/store/open.js";
import { deliveryReadsOf } from "../../src/store/ports/deliveries.js";
import { outboxStoreOf } from "../../src/store/ports/outbox.js";
import { tempDb } from "./tmp.js";

const opened: Db[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
});

/**
 * A ServeApp over a fresh temp log, for calling route handlers directly: a clock the test moves
 * (`clock.now`), a count of wake() calls, and the engine's running flag to set.
 */
export function serveApp(start = Date.UTC(2026, 0, 15, 9, 0)) {
  const path = tempDb();
  const db = openDb(path);
  opened.push(db);
  const log: LogHandle = {
    backend: "sqlite",
    db,
    where: path,
    close: async () => {
      db.close();
    },
  };
  return { ...serveAppOn(log, start), db, path };
}

/** The same over any open log (a PostgreSQL one: the test closes it). */
export function serveAppOn(log: LogHandle, start = Date.UTC(2026, 0, 15, 9, 0)) {
  const clock = { now: start };
  const engine = { running: true, wakes: 0 };
  const app: ServeApp = {
    log,
    outbox: outboxStoreOf(log),
    reads: deliveryReadsOf(log),
    now: () => clock.now,
    newId: (prefix) => newId(prefix as IdPrefix, clock.now, randomBytes),
    wake: () => {
      engine.wakes++;
    },
    engineRunning: () => engine.running,
    maxBodyBytes: 1024 * 1024,
    idempotencyTtlMs: defaultIdempotencyTtlMs,
    stats: emptyStats(),
  };
  return { app, clock, engine };
}

/** Keep a connection open until the test ends (closed after it). */
export function closeAfterTest(db: Db): Db {
  opened.push(db);
  return db;
}

/** A request as the server hands it to a handler. */
export function serveRequest(
  path: string,
  options: { method?: string; params?: Record<string, string>; query?: string } = {},
): ServeRequest {
  return {
    method: options.method ?? "GET",
    path,
    query: new URLSearchParams(options.query ?? ""),
    headers: {},
    params: options.params ?? {},
    body: async () => Buffer.alloc(0),
  };
}

/** The Problem a handler threw (any other outcome fails the test). */
export async function problemOf(call: () => unknown): Promise<Problem> {
  try {
    await call();
  } catch (error) {
    if (error instanceof Problem) return error;
    throw error;
  }
  throw new Error("the handler answered instead of throwing a Problem");
}

/**
 * An event of `type` created at the app's clock with one delivery per entry of `deliveries`
 * (bare-URL, pending and due unless given), then the clock moves on 1 ms so every later id sorts
 * after these.
 */
export function seedEvent(
  harness: ReturnType<typeof serveApp>,
  type = "order.created",
  deliveries: readonly Partial<NewDelivery>[] = [{}],
): { eventId: string; deliveryIds: string[] } {
  const { app, clock } = harness;
  const eventId = app.newId("evt");
  const bare = { endpointId: null, url: "http://127.0.0.1:9/hooks", scheme: "hookctl", extraHeaders: {} };
  const defaults = { secrets: null, policy: "{}", timeoutMs: 10_000 };
  const made: NewDelivery[] = deliveries.map((overrides) => ({
    id: app.newId("dlv"),
    ...bare,
    ...defaults,
    ...overrides,
  }));
  // Ids made in one millisecond sort by their random part: order them as the caller listed them.
  const ids = made.map((d) => d.id).sort();
  made.forEach((d, i) => {
    d.id = ids[i] as string;
  });
  createEventsWithDeliveries(
    harness.db,
    [
      {
        event: {
          id: eventId,
          type,
          body: Buffer.from(`{"type":"${type}"}`),
          contentType: "application/json",
          createdAt: clock.now,
        },
        deliveries: made,
      },
    ],
    clock.now,
  );
  clock.now += 1;
  return { eventId, deliveryIds: ids };
}

/** Set a delivery's status directly (as a finished attempt would leave it). */
export function setStatus(db: Db, id: string, status: "pending" | "succeeded" | "dead", at?: number): void {
  db.prepare(
    "UPDATE deliveries SET status = @status, next_attempt_at = COALESCE(@at, next_attempt_at), completed_at = IIF(@status = 'pending', NULL, updated_at) WHERE id = @id",
  ).run({ id, status, at: at ?? null });
}
