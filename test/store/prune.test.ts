import { describe, expect, it } from "vitest";
import { Leases } from "../../src/store/leases.js";
import { type Db, openDb } from "../../src/store/open.js";
import { countPrunable, prune } from "../../src/store/prune.js";
import { insertReceived } from "../../src/store/received.js";
import { capturedRequest } from "../helpers/captured.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hook";
const day = 86_400_000;
const now = Date.UTC(2026, 5, 1);
const old = now - 40 * day;
const cutoff = now - 30 * day;

function log(): Db {
  return openDb(tempDb());
}

function has(db: Db, table: string, where: string, ...params: unknown[]): boolean {
  return db.prepare(`SELECT 1 FROM ${table} WHERE ${where}`).get(...params) !== undefined;
}

function eventOf(db: Db, deliveryId: string): string {
  return db.prepare("SELECT event_id FROM deliveries WHERE id = ?").pluck().get(deliveryId) as string;
}

function rows(db: Db, table: string): number {
  return db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
}

function addAlert(db: Db, id: string, deliveryId: string, status: "pending" | "sent" | "failed") {
  db.prepare("INSERT OR IGNORE INTO alert_sinks (name, created_at) VALUES ('ops', ?)").run(old);
  db.prepare(
    "INSERT INTO alerts (id, sink, delivery_id, status, next_attempt_at, created_at) VALUES (?, 'ops', ?, ?, ?, ?)",
  ).run(id, deliveryId, status, old, old);
}

function capture(db: Db, id: string, at: number) {
  insertReceived(db, capturedRequest({ id, receivedAt: at, headers: [], body: Buffer.from("{}") }));
}

describe("log prune (store)", () => {
  it("deletes old finished deliveries with their attempts and events; pending, in-flight and recent ones stay", async () => {
    const db = log();
    const [succeeded] = seedDeliveries(db, { url, now: old }) as [string];
    const [dead] = seedDeliveries(db, { url, now: old }) as [string];
    const [pending] = seedDeliveries(db, { url, now: old }) as [string];
    const [inFlight] = seedDeliveries(db, { url, now: old }) as [string];
    const [recent] = seedDeliveries(db, { url, now: old }) as [string];
    finishDelivery(db, succeeded, "succeeded", old);
    finishDelivery(db, dead, "dead", old + 1000);
    // In flight since long ago under a lease that expired: still not finished, so it stays.
    expect(new Leases(db).claimById(inFlight, { now: old, leaseMs: 1000, token: "t" })).toBeTruthy();
    finishDelivery(db, recent, "succeeded", now - day);
    const gone = [succeeded, dead].map((id) => eventOf(db, id));
    const stay = [pending, inFlight, recent];

    const expected = { deliveries: 2, attempts: 2, events: 2, alerts: 0, received: null };
    expect(countPrunable(db, { cutoff, received: false })).toEqual(expected);
    expect(await prune(db, { cutoff, received: false })).toEqual(expected);

    for (const id of [succeeded, dead]) {
      expect(has(db, "deliveries", "id = ?", id)).toBe(false);
      expect(has(db, "attempts", "delivery_id = ?", id)).toBe(false);
    }
    for (const id of gone) expect(has(db, "events", "id = ?", id)).toBe(false);
    for (const id of stay) expect(has(db, "deliveries", "id = ?", id)).toBe(true);
    expect(has(db, "attempts", "delivery_id = ?", recent)).toBe(true);
    expect(countPrunable(db, { cutoff, received: false })).toEqual({
      ...expected,
      deliveries: 0,
      attempts: 0,
      events: 0,
    });
    db.close();
  });

  it("keeps an event while a delivery of it stays, and deletes it with the last one", async () => {
    const db = log();
    const [early, late] = seedDeliveries(db, { url, now: old, count: 2 }) as [string, string];
    const event = eventOf(db, early);
    finishDelivery(db, early, "succeeded", old);
    finishDelivery(db, late, "dead", now - day);
    expect(await prune(db, { cutoff, received: false })).toMatchObject({ deliveries: 1, events: 0 });
    expect(has(db, "events", "id = ?", event)).toBe(true);
    expect(has(db, "deliveries", "id = ?", late)).toBe(true);
    // A month on, the other delivery is old too: now the event goes with it.
    expect(await prune(db, { cutoff: now + 31 * day - 30 * day, received: false })).toMatchObject({
      deliveries: 1,
      events: 1,
    });
    expect(has(db, "events", "id = ?", event)).toBe(false);
    db.close();
  });

  it("keeps an event an idempotency key still names, until the key is gone", async () => {
    const db = log();
    const [id] = seedDeliveries(db, { url, now: old }) as [string];
    const event = eventOf(db, id);
    finishDelivery(db, id, "succeeded", old);
    db.prepare(
      "INSERT INTO idempotency_keys (key, request_sha256, event_id, response, created_at) VALUES ('k1', 'x', ?, '{}', ?)",
    ).run(event, old);
    expect(countPrunable(db, { cutoff, received: false })).toMatchObject({ deliveries: 1, events: 0 });
    expect(await prune(db, { cutoff, received: false })).toMatchObject({ deliveries: 1, events: 0 });
    expect(has(db, "events", "id = ?", event)).toBe(true);
    // Serve lets the key expire; the next prune finds the event with no delivery and no key.
    db.prepare("DELETE FROM idempotency_keys").run();
    expect(countPrunable(db, { cutoff, received: false })).toMatchObject({ deliveries: 0, events: 1 });
    expect(await prune(db, { cutoff, received: false })).toMatchObject({ deliveries: 0, events: 1 });
    expect(has(db, "events", "id = ?", event)).toBe(false);
    db.close();
  });

  it("deletes sent alerts whose delivery goes or is gone; pending and failed ones stay", async () => {
    const db = log();
    const [dead] = seedDeliveries(db, { url, now: old }) as [string];
    const [recent] = seedDeliveries(db, { url, now: old }) as [string];
    finishDelivery(db, dead, "dead", old);
    finishDelivery(db, recent, "dead", now - day);
    addAlert(db, "alr_1", dead, "sent");
    addAlert(db, "alr_2", dead, "pending");
    addAlert(db, "alr_3", "dlv_purged_long_ago", "sent");
    addAlert(db, "alr_4", "dlv_purged_long_ago", "failed");
    addAlert(db, "alr_5", recent, "sent");
    expect(countPrunable(db, { cutoff, received: false }).alerts).toBe(2);
    expect((await prune(db, { cutoff, received: false })).alerts).toBe(2);
    const left = db.prepare("SELECT id FROM alerts ORDER BY id").pluck().all();
    expect(left).toEqual(["alr_2", "alr_4", "alr_5"]);
    db.close();
  });

  it("deletes captured requests older than the cutoff only when asked", async () => {
    const db = log();
    capture(db, "rcv_old", old);
    capture(db, "rcv_new", now);
    expect(await prune(db, { cutoff, received: false })).toMatchObject({ received: null });
    expect(rows(db, "received")).toBe(2);
    expect(countPrunable(db, { cutoff, received: true }).received).toBe(1);
    expect(await prune(db, { cutoff, received: true })).toMatchObject({ received: 1 });
    expect(db.prepare("SELECT id FROM received").pluck().all()).toEqual(["rcv_new"]);
    db.close();
  });

  it("works through more than one chunk, each committed before the pause that follows it", async () => {
    const db = log();
    const ids = seedDeliveries(db, { url, now: old, count: 7 });
    for (const id of ids) finishDelivery(db, id, "succeeded", old);
    const [stays] = seedDeliveries(db, { url, now: old }) as [string];
    const seen: number[] = [];
    const other = openDb(db.name);
    const counts = await prune(db, {
      cutoff,
      received: false,
      chunk: 3,
      between: async () => {
        // Another connection sees each chunk gone: it was its own transaction.
        seen.push(rows(other, "deliveries"));
      },
    });
    expect(counts).toMatchObject({ deliveries: 7, attempts: 7, events: 1 });
    expect(seen.slice(0, 3)).toEqual([8 - 3, 8 - 6, 8 - 7]);
    expect(rows(db, "deliveries")).toBe(1);
    expect(has(db, "deliveries", "id = ?", stays)).toBe(true);
    other.close();
    db.close();
  });

  it("stops after the chunk in hand when its signal is aborted; a rerun prunes the rest", async () => {
    const db = log();
    const ids = seedDeliveries(db, { url, now: old, count: 7 });
    for (const id of ids) finishDelivery(db, id, "dead", old);
    const stop = new AbortController();
    const first = await prune(db, {
      cutoff,
      received: true,
      chunk: 3,
      signal: stop.signal,
      between: async () => stop.abort(),
    });
    expect(first).toEqual({ deliveries: 3, attempts: 3, events: 0, alerts: 0, received: 0 });
    expect(rows(db, "deliveries")).toBe(4);
    expect(await prune(db, { cutoff, received: true, chunk: 3 })).toMatchObject({ deliveries: 4, events: 1 });
    db.close();
  });
});
