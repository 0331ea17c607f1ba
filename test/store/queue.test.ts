import { describe, expect, it } from "vitest";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { getEvent } from "../../src/store/events.js";
import { Leases } from "../../src/store/leases.js";
import { type Db, openDb } from "../../src/store/open.js";
import {
  countByStatus,
  describeDeliveries,
  listDeadLetters,
  purgeDeliveries,
  requeueDeliveries,
  selectDeliveryIds,
} from "../../src/store/queue.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hook";
const t0 = 1_700_000_000_000;

/** Claim and finish one delivery with the given end state. */
function finish(db: Db, id: string, status: "succeeded" | "dead", at = t0): void {
  finishDelivery(db, id, status, at);
}

describe("requeueDeliveries", () => {
  it("resets a dead delivery to pending, due now, schedule reset, next attempt manual, same id", () => {
    const db = openDb(tempDb());
    const [id] = seedDeliveries(db, { url, now: t0 }) as [string];
    finish(db, id, "dead");
    const results = requeueDeliveries(db, [id], { now: t0 + 5000 });
    expect(results).toEqual([{ id, outcome: "requeued", deliveryId: id, previousStatus: "dead", url }]);
    expect(getDelivery(db, id)).toMatchObject({
      status: "pending",
      scheduleAttempts: 0,
      attemptCount: 1,
      nextAttemptAt: t0 + 5000,
      nextTrigger: "manual",
      completedAt: null,
      leaseToken: null,
    });
  });

  it("redirects with `to`, and with `newId` mints a new delivery of the same event, leaving the old one", () => {
    const db = openDb(tempDb());
    const [id] = seedDeliveries(db, { url, now: t0 }) as [string];
    finish(db, id, "dead");
    const [result] = requeueDeliveries(db, [id], {
      now: t0 + 1,
      to: "http://127.0.0.1:9/new",
      newId: () => "dlv_NEW",
    });
    expect(result).toMatchObject({
      outcome: "requeued",
      deliveryId: "dlv_NEW",
      url: "http://127.0.0.1:9/new",
    });
    const old = getDelivery(db, id);
    const fresh = getDelivery(db, "dlv_NEW");
    expect(old).toMatchObject({ status: "dead", url });
    expect(fresh).toMatchObject({
      status: "pending",
      eventId: old?.eventId,
      url: "http://127.0.0.1:9/new",
      attemptCount: 0,
      nextTrigger: "manual",
      nextAttemptAt: t0 + 1,
      policy: old?.policy,
      timeoutMs: old?.timeoutMs,
    });
  });

  it("never touches a delivery in flight under a live lease; an expired lease may be requeued", () => {
    const db = openDb(tempDb());
    const [live, lapsed] = seedDeliveries(db, { url, now: t0, count: 2 }) as [string, string];
    const leases = new Leases(db);
    leases.claimById(live, { now: t0, leaseMs: 60_000, token: "a" });
    leases.claimById(lapsed, { now: t0, leaseMs: 1000, token: "b" });
    const results = requeueDeliveries(db, [live, lapsed, "dlv_missing"], { now: t0 + 5000 });
    expect(results.map((r) => (r.outcome === "skipped" ? r.reason : r.outcome))).toEqual([
      "leased",
      "requeued",
      "not-found",
    ]);
    expect(getDelivery(db, live)).toMatchObject({ status: "in_flight", leaseToken: "a" });
    expect(getDelivery(db, lapsed)).toMatchObject({ status: "pending", leaseToken: null });
    // The old holder of the lapsed lease can no longer record anything.
    expect(leases.renew(lapsed, "b", t0 + 9000)).toBe(false);
  });
});

describe("purgeDeliveries", () => {
  it("deletes deliveries and their attempts, and events only when no other delivery refers to them", () => {
    const db = openDb(tempDb());
    const [a, b] = seedDeliveries(db, { url, now: t0, count: 2 }) as [string, string];
    const [solo] = seedDeliveries(db, { url, now: t0 }) as [string];
    for (const id of [a, b, solo]) finish(db, id, "dead");
    const shared = getDelivery(db, a)?.eventId as string;
    const soloEvent = getDelivery(db, solo)?.eventId as string;

    expect(purgeDeliveries(db, [a, solo])).toBe(2);
    expect(getDelivery(db, a)).toBeUndefined();
    expect(listAttempts(db, a)).toEqual([]);
    expect(getEvent(db, shared)).toBeDefined(); // b still refers to it
    expect(getEvent(db, soloEvent)).toBeUndefined();
    expect(getDelivery(db, b)?.status).toBe("dead");

    expect(purgeDeliveries(db, [b])).toBe(1);
    expect(getEvent(db, shared)).toBeUndefined();
  });

  it("leaves in-flight deliveries alone", () => {
    const db = openDb(tempDb());
    const [id] = seedDeliveries(db, { url, now: t0 }) as [string];
    new Leases(db).claimById(id, { now: t0, leaseMs: 1000, token: "x" });
    expect(purgeDeliveries(db, [id])).toBe(0);
    expect(getDelivery(db, id)?.status).toBe("in_flight");
  });
});

describe("selectors and listings", () => {
  function seedMix(db: Db) {
    seedEndpoint(db, { id: "ep_b", name: "billing", url, createdAt: t0 });
    const [oldDead] = seedDeliveries(db, { url, now: t0, eventType: "order.created" }) as [string];
    const [billingDead] = seedDeliveries(db, {
      url,
      now: t0 + 60_000,
      eventType: "invoice.paid",
      endpointId: "ep_b",
    }) as [string];
    const [ok] = seedDeliveries(db, { url, now: t0 + 120_000, eventType: "order.updated" }) as [string];
    const [waiting] = seedDeliveries(db, { url, now: t0 + 180_000, eventType: "order.created" }) as [string];
    finish(db, oldDead, "dead", t0 + 1000);
    finish(db, billingDead, "dead", t0 + 61_000);
    finish(db, ok, "succeeded", t0 + 121_000);
    return { oldDead, billingDead, ok, waiting };
  }

  it("selects by status, creation time, event glob, endpoint, age and limit, oldest first", () => {
    const db = openDb(tempDb());
    const d = seedMix(db);
    expect(selectDeliveryIds(db, { status: "dead" })).toEqual([d.oldDead, d.billingDead]);
    expect(selectDeliveryIds(db, { status: ["dead", "succeeded"] })).toEqual([
      d.oldDead,
      d.billingDead,
      d.ok,
    ]);
    expect(selectDeliveryIds(db, { since: t0 + 100_000 })).toEqual([d.ok, d.waiting]);
    expect(selectDeliveryIds(db, { eventGlob: "order.*" })).toEqual([d.oldDead, d.ok, d.waiting]);
    expect(selectDeliveryIds(db, { eventGlob: "Order.*" })).toEqual([]);
    expect(selectDeliveryIds(db, { endpointName: "billing" })).toEqual([d.billingDead]);
    expect(selectDeliveryIds(db, { endpointName: "nope" })).toEqual([]);
    expect(selectDeliveryIds(db, { status: "dead", olderThan: t0 + 30_000 })).toEqual([d.oldDead]);
    expect(selectDeliveryIds(db, { limit: 1 })).toEqual([d.oldDead]);
  });

  it("counts by status and lists dead letters newest first with event type and endpoint name", () => {
    const db = openDb(tempDb());
    const d = seedMix(db);
    expect(countByStatus(db)).toEqual({ pending: 1, in_flight: 0, succeeded: 1, dead: 2 });
    const dead = listDeadLetters(db);
    expect(dead.map((x) => [x.delivery.id, x.eventType, x.endpointName])).toEqual([
      [d.billingDead, "invoice.paid", "billing"],
      [d.oldDead, "order.created", null],
    ]);
    expect(listDeadLetters(db, { endpointName: "billing" }).map((x) => x.delivery.id)).toEqual([
      d.billingDead,
    ]);
    expect(listDeadLetters(db, { eventGlob: "order.*", limit: 5 }).map((x) => x.delivery.id)).toEqual([
      d.oldDead,
    ]);
    expect(describeDeliveries(db, [d.ok, "dlv_missing", d.waiting]).map((x) => x.delivery.status)).toEqual([
      "succeeded",
      "pending",
    ]);
  });
});
