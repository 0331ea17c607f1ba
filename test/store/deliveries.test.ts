import { statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  createEventsWithDeliveries,
  getDelivery,
  listDeliveries,
  loadDeliveryDetail,
  type NewDelivery,
  reopenDelivery,
} from "../../src/store/deliveries.js";
import { findIdsBySuffix } from "../../src/store/id-lookup.js";
import { newId } from "../../src/store/ids.js";
import { Leases } from "../../src/store/leases.js";
import { type Db, openDb } from "../../src/store/open.js";
import type { DeliveryStatus } from "../../src/store/types.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { tempDb } from "../helpers/tmp.js";

let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

const t0 = Date.UTC(2026, 0, 15, 9, 0);
let counter = 0;
const seq = (size: number) => {
  counter++;
  const bytes = new Uint8Array(size);
  bytes[size - 1] = counter & 0xff;
  bytes[size - 2] = (counter >> 8) & 0xff;
  return bytes;
};

function delivery(id: string, overrides: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id,
    endpointId: null,
    url: "http://127.0.0.1:9/hooks",
    scheme: "hookctl",
    extraHeaders: {},
    secrets: null,
    policy: "{}",
    timeoutMs: 10_000,
    ...overrides,
  };
}

/** Events of the given types, one delivery each, created one minute apart from t0. */
function seed(database: Db, types: string[], overrides: Partial<NewDelivery> = {}, start = t0): string[] {
  return types.map((type, i) => {
    const at = start + i * 60_000;
    const id = newId("dlv", at, seq);
    createEventsWithDeliveries(
      database,
      [
        {
          event: {
            id: newId("evt", at, seq),
            type,
            body: Buffer.from("{}"),
            contentType: "application/json",
            createdAt: at,
          },
          deliveries: [delivery(id, overrides)],
        },
      ],
      at,
    );
    return id;
  });
}

function setStatus(database: Db, id: string, status: DeliveryStatus): void {
  database.prepare("UPDATE deliveries SET status = ? WHERE id = ?").run(status, id);
}

describe("the delivery log on a fresh file", () => {
  it("is created 0600, migrated from empty, and writes events with deliveries in chunks", () => {
    const path = tempDb();
    db = openDb(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const items = Array.from({ length: 1203 }, (_, i) => ({
      event: {
        id: `evt_${i}`,
        type: "load.test",
        body: Buffer.from([i & 0xff]),
        contentType: "application/octet-stream",
        createdAt: t0,
      },
      deliveries: [delivery(`dlv_${String(i).padStart(5, "0")}`)],
    }));
    createEventsWithDeliveries(db, items, t0, 500);
    expect(db.prepare("SELECT COUNT(*) FROM events").pluck().get()).toBe(1203);
    expect(
      db
        .prepare("SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at = ?")
        .pluck()
        .get(t0),
    ).toBe(1203);
    expect(getDelivery(db, "dlv_00007")).toMatchObject({
      status: "pending",
      nextTrigger: "initial",
      attemptCount: 0,
    });
  });

  it("a failing chunk leaves no half-written event behind", () => {
    db = openDb(tempDb());
    const good = {
      event: {
        id: "evt_a",
        type: "a",
        body: Buffer.from("{}"),
        contentType: "application/json",
        createdAt: t0,
      },
      deliveries: [delivery("dlv_a")],
    };
    const clash = {
      event: {
        id: "evt_b",
        type: "b",
        body: Buffer.from("{}"),
        contentType: "application/json",
        createdAt: t0,
      },
      deliveries: [delivery("dlv_a")],
    };
    expect(() => createEventsWithDeliveries(db as Db, [good, clash], t0)).toThrow();
    expect(db.prepare("SELECT COUNT(*) FROM events").pluck().get()).toBe(0);
  });
});

describe("listDeliveries", () => {
  it("lists newest first with the event type, endpoint name and last attempt's latency", () => {
    db = openDb(tempDb());
    const ids = seed(db, ["order.created", "order.paid", "user.signup"]);
    const items = listDeliveries(db);
    expect(items.map((item) => item.delivery.id)).toEqual([...ids].reverse());
    expect(items[0]).toMatchObject({ eventType: "user.signup", endpointName: null, lastDurationMs: null });
  });

  it("filters by status, event glob, endpoint, since and limit, and combines them", () => {
    db = openDb(tempDb());
    seedEndpoint(db, { id: "ep_1", name: "orders", url: "http://127.0.0.1:9/", createdAt: t0 });
    const plain = seed(db, ["order.created", "order.paid", "user.signup", "order.refunded"]);
    setStatus(db, plain[1] as string, "dead");
    const viaEndpoint = seed(db, ["order.created"], { endpointId: "ep_1" }, t0 + 10 * 60_000);
    const ids = (filter: Parameters<typeof listDeliveries>[1]) =>
      listDeliveries(db as Db, filter).map((item) => item.delivery.id);

    expect(ids({ status: "dead" })).toEqual([plain[1]]);
    expect(ids({ eventGlob: "order.*" })).toEqual([viaEndpoint[0], plain[3], plain[1], plain[0]]);
    expect(ids({ eventGlob: "order.?aid" })).toEqual([plain[1]]);
    expect(ids({ eventGlob: "Order.*" })).toEqual([]); // case-sensitive, like shell globs
    expect(ids({ endpointName: "orders" })).toEqual(viaEndpoint);
    expect(ids({ endpointName: "nope" })).toEqual([]);
    expect(ids({ since: t0 + 2 * 60_000 })).toEqual([viaEndpoint[0], plain[3], plain[2]]);
    expect(ids({ limit: 2 })).toEqual([viaEndpoint[0], plain[3]]);
    expect(ids({ status: "pending", eventGlob: "order.*", limit: 1 })).toEqual([viaEndpoint[0]]);
    expect(listDeliveries(db, { endpointName: "orders" })[0]?.endpointName).toBe("orders");
  });

  it("walks an index for a status filter, never the whole table", () => {
    db = openDb(tempDb());
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.status = 'pending' ORDER BY d.id DESC LIMIT 10`)
      .all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join("\n")).toMatch(/USING (COVERING )?INDEX deliveries_by_status/);
  });
});

describe("findIdsBySuffix and loadDeliveryDetail", () => {
  it("finds ids by a unique suffix and loads a delivery with its attempts and every secret to mask", () => {
    db = openDb(tempDb());
    seedEndpoint(db, { id: "ep_1", name: "orders", url: "http://127.0.0.1:9/", createdAt: t0 }, [
      "endpoint-secret-1",
    ]);
    db.prepare(
      "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES ('ep_1', 'old-expired-secret', 0, 1)",
    ).run();
    const [id] = seed(db, ["order.created"], { endpointId: "ep_1" });
    const [other] = seed(db, ["order.paid"], { secrets: ["flag-secret"] });
    const find = (text: string, limit?: number) => findIdsBySuffix(db as Db, "deliveries", text, limit);
    expect(find(id as string)).toEqual([id]);
    expect(find((id as string).slice(-6))).toEqual([id]);
    expect(find((other as string).slice(-6).toLowerCase())).toEqual([other]);
    // Shorter than six characters matches only a whole id; a prefix names nothing.
    expect(find((id as string).slice(-5))).toEqual([]);
    expect(find((id as string).slice(0, 12))).toEqual([]);
    const twin = `dlv_${"Z".repeat(10)}${(id as string).slice(-16)}`;
    createEventsWithDeliveries(
      db,
      [
        {
          event: {
            id: newId("evt", t0, seq),
            type: "x",
            body: Buffer.from("{}"),
            contentType: "",
            createdAt: t0,
          },
          deliveries: [delivery(twin)],
        },
      ],
      t0,
    );
    expect(find((id as string).slice(-16))).toEqual([twin, id]);
    expect(find((id as string).slice(-16), 1)).toEqual([twin]);
    expect(find(twin)).toEqual([twin]);

    const detail = loadDeliveryDetail(db, id as string);
    expect(detail).toMatchObject({ endpointName: "orders", attempts: [], event: { type: "order.created" } });
    expect(detail?.secrets.sort()).toEqual(["endpoint-secret-1", "old-expired-secret"]);
    expect(loadDeliveryDetail(db, other as string)?.secrets).toEqual(["flag-secret"]);
    expect(loadDeliveryDetail(db, "dlv_missing")).toBeUndefined();
  });
});

describe("reopenDelivery", () => {
  it("makes a finished delivery pending and due now for a manual re-send, never one in flight", () => {
    db = openDb(tempDb());
    const [id] = seed(db, ["ping"]) as [string];
    const leases = new Leases(db);
    expect(reopenDelivery(db, id, t0)).toBe(true); // pending already: still fine
    leases.claimById(id, { now: t0, leaseMs: 1000, token: "t" });
    expect(reopenDelivery(db, id, t0 + 1)).toBe(false);
    db.prepare(
      "UPDATE deliveries SET status = 'succeeded', lease_token = NULL, completed_at = ?, schedule_attempts = 3 WHERE id = ?",
    ).run(t0, id);
    expect(reopenDelivery(db, id, t0 + 5000)).toBe(true);
    expect(getDelivery(db, id)).toMatchObject({
      status: "pending",
      nextAttemptAt: t0 + 5000,
      nextTrigger: "manual",
      scheduleAttempts: 0,
      completedAt: null,
    });
  });
});
