import { describe, expect, it } from "vitest";
import { AlertStore, alertsOfDelivery } from "../../src/store/alerts.js";
import { reopenDelivery } from "../../src/store/deliveries.js";
import { removeEndpoint } from "../../src/store/endpoints.js";
import { Leases } from "../../src/store/leases.js";
import { openDb } from "../../src/store/open.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const t0 = Date.UTC(2026, 0, 1);

function logWithSinks(...sinks: string[]) {
  const db = openDb(tempDb());
  const store = new AlertStore(db);
  for (const sink of sinks) store.register(sink, t0);
  return { db, store };
}

const ulidOf = (id: string) => id.slice("dlv_".length);

describe("queueing dead-letter alerts, on every path that makes a delivery dead", () => {
  it("queues one pending alert per registered sink when an attempt makes a delivery dead", () => {
    const { db } = logWithSinks("command:a", "url:http://127.0.0.1:1/");
    const [dead, ok] = seedDeliveries(db, { url: "http://127.0.0.1:1/", now: t0, count: 2 }) as [
      string,
      string,
    ];
    finishDelivery(db, dead, "dead", t0 + 10);
    finishDelivery(db, ok, "succeeded", t0 + 10);
    const alerts = alertsOfDelivery(db, dead);
    expect(alerts.map((a) => [a.id, a.sink, a.status, a.attempts, a.nextAttemptAt, a.createdAt])).toEqual([
      [`alr_${ulidOf(dead)}_1`, "command:a", "pending", 0, t0 + 10, t0 + 10],
      [`alr_${ulidOf(dead)}_1`, "url:http://127.0.0.1:1/", "pending", 0, t0 + 10, t0 + 10],
    ]);
    expect(alertsOfDelivery(db, ok)).toEqual([]);
    db.close();
  });

  it("alerts nothing for deaths before a sink's first registration, and registering again changes nothing", () => {
    const { db, store } = logWithSinks();
    const [early, late] = seedDeliveries(db, { url: "http://127.0.0.1:1/", now: t0, count: 2 }) as [
      string,
      string,
    ];
    finishDelivery(db, early, "dead", t0 + 1);
    store.register("command:a", t0 + 2);
    store.register("command:a", t0 + 3);
    finishDelivery(db, late, "dead", t0 + 4);
    expect(alertsOfDelivery(db, early)).toEqual([]);
    expect(alertsOfDelivery(db, late)).toHaveLength(1);
    expect(db.prepare("SELECT created_at FROM alert_sinks").pluck().all()).toEqual([t0 + 2]);
    db.close();
  });

  it("fires exactly once per death: a requeued delivery that dies again gets a second alert id", () => {
    const { db } = logWithSinks("command:a");
    const [id] = seedDeliveries(db, { url: "http://127.0.0.1:1/", now: t0 }) as [string];
    finishDelivery(db, id, "dead", t0 + 1);
    // Touching a dead row without moving it out of dead queues nothing more.
    db.prepare("UPDATE deliveries SET status = 'dead', updated_at = ? WHERE id = ?").run(t0 + 2, id);
    expect(reopenDelivery(db, id, t0 + 3)).toBe(true);
    finishDelivery(db, id, "dead", t0 + 4);
    expect(alertsOfDelivery(db, id).map((a) => a.id)).toEqual([`alr_${ulidOf(id)}_1`, `alr_${ulidOf(id)}_2`]);
    db.close();
  });

  it("fires when endpoint rm --force abandons waiting deliveries, and tells a second death at the same count apart", () => {
    const { db } = logWithSinks("command:a");
    seedEndpoint(db, { id: "ep_1", name: "billing", url: "http://127.0.0.1:1/", createdAt: t0 });
    const [first, waiting] = seedDeliveries(db, {
      url: "http://127.0.0.1:1/",
      now: t0,
      count: 2,
      endpointId: "ep_1",
    }) as [string, string];
    finishDelivery(db, first, "dead", t0 + 1);
    // Requeued, then abandoned before it ran again: dead twice at attempt count 1.
    reopenDelivery(db, first, t0 + 2);
    expect(removeEndpoint(db, "ep_1", { force: true, now: t0 + 3 })).toMatchObject({ abandoned: 2 });
    expect(alertsOfDelivery(db, first).map((a) => [a.id, a.createdAt])).toEqual([
      [`alr_${ulidOf(first)}_1`, t0 + 1],
      [`alr_${ulidOf(first)}_1_2`, t0 + 3],
    ]);
    expect(alertsOfDelivery(db, waiting).map((a) => a.id)).toEqual([`alr_${ulidOf(waiting)}_0`]);
    db.close();
  });

  it("fires when a scheduler shelves a damaged row", () => {
    const { db } = logWithSinks("command:a");
    const [id] = seedDeliveries(db, { url: "http://127.0.0.1:1/", now: t0 }) as [string];
    db.prepare("UPDATE deliveries SET policy = '{not json' WHERE id = ?").run(id);
    expect(new Leases(db).claimDue({ now: t0 + 1, leaseMs: 1000, token: "t", limit: 10 })).toEqual([]);
    expect(alertsOfDelivery(db, id).map((a) => a.id)).toEqual([`alr_${ulidOf(id)}_0`]);
    db.close();
  });
});
