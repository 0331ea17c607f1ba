import { describe, expect, it } from "vitest";
import { getDelivery } from "../../src/store/deliveries.js";
import { Leases } from "../../src/store/leases.js";
import { openDb } from "../../src/store/open.js";
import {
  chunksOf,
  countByStatusOf,
  describeInChunks,
  type RequeueResult,
  requeueChunk,
  requeueInChunks,
  selectDeliveryIds,
  selectDeliveryIdsInto,
} from "../../src/store/queue.js";
import { SqliteEngineStore } from "../../src/store/sqlite-engine.js";
import { bulkDeliveries } from "../helpers/bulk-log.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hook";
const t0 = 1_700_000_000_000;

describe("requeueInChunks", () => {
  it("into a scope set: the ids stay in the log's connection, and the engine's store runs exactly them", async () => {
    const db = openDb(tempDb());
    const count = requeueChunk + 10;
    bulkDeliveries(db, { count, status: "succeeded", url, at: t0 });
    const ids = selectDeliveryIds(db, { status: "succeeded" });
    const chosen = ids.slice(5);
    const set = { set: "hookctl_requeued" };
    const summary = await requeueInChunks(db, chosen, { now: t0 + 1 }, () => {}, set);
    expect(summary).toEqual({ requeued: chosen.length, deliveryIds: [], fresh: 0, skipped: 0 });
    const inSet = db.prepare("SELECT id FROM temp.hookctl_requeued ORDER BY id").pluck().all();
    expect(inSet).toEqual([...chosen].sort());
    // The store counts and claims through the set.
    const store = new SqliteEngineStore(db);
    expect(store.pendingCountNow(set)).toBe(chosen.length);
    // Rows outside the set are pending too, and never claimed through it.
    db.prepare(
      "UPDATE deliveries SET status = 'pending', next_attempt_at = 0 WHERE id IN (SELECT value FROM json_each(?))",
    ).run(JSON.stringify(ids.slice(0, 5)));
    const { work } = store.exchangeNow({
      now: t0 + 2,
      completions: [],
      releases: [],
      claim: { token: "t", limit: count, marginMs: 1000, exclude: [], scope: set },
    });
    expect(work.map((w) => w.delivery.id).sort()).toEqual([...chosen].sort());
    db.close();
  });

  it("requeues a selection larger than a chunk a chunk at a time, in order, one result each", async () => {
    const db = openDb(tempDb());
    const count = 2 * requeueChunk + 500;
    bulkDeliveries(db, { count, status: "succeeded", url, at: t0 });
    const ids = selectDeliveryIds(db, { status: "succeeded" });
    const chunks: RequeueResult[][] = [];
    const summary = await requeueInChunks(db, ids, { now: t0 + 1 }, (results) => {
      chunks.push(results);
    });
    expect(chunks.map((results) => results.length)).toEqual([requeueChunk, requeueChunk, 500]);
    expect(chunks.flat().map((result) => result.id)).toEqual(ids);
    expect(chunks.flat().every((r) => r.outcome === "requeued" && r.previousStatus === "succeeded")).toBe(
      true,
    );
    expect(summary).toEqual({ requeued: count, deliveryIds: ids, fresh: 0, skipped: 0 });
    expect(countByStatusOf(db, ids)).toEqual({ pending: count, in_flight: 0, succeeded: 0, dead: 0 });
    expect(getDelivery(db, ids.at(-1) as string)).toMatchObject({
      status: "pending",
      nextAttemptAt: t0 + 1,
      nextTrigger: "manual",
      completedAt: null,
    });
  });

  it("skips what is leased or missing in any chunk and leaves it untouched", async () => {
    const db = openDb(tempDb());
    bulkDeliveries(db, { count: requeueChunk + 10, status: "dead", url, at: t0 });
    const [live] = seedDeliveries(db, { url, now: t0 }) as [string];
    new Leases(db).claimById(live, { now: t0, leaseMs: 60_000, token: "a" });
    const ids = [...selectDeliveryIds(db, { status: "dead" }), live, "dlv_missing"];
    const skipped: RequeueResult[] = [];
    const summary = await requeueInChunks(db, ids, { now: t0 + 5000 }, (results) => {
      skipped.push(...results.filter((r) => r.outcome === "skipped"));
    });
    expect(skipped).toEqual([
      { id: live, outcome: "skipped", reason: "leased" },
      { id: "dlv_missing", outcome: "skipped", reason: "not-found" },
    ]);
    expect(summary.skipped).toBe(2);
    expect(summary.deliveryIds).toHaveLength(requeueChunk + 10);
    expect(getDelivery(db, live)).toMatchObject({ status: "in_flight", leaseToken: "a" });
  });

  it("redirects across chunks, dropping a TLS setting only where the origin changes", async () => {
    const db = openDb(tempDb());
    bulkDeliveries(db, { count: requeueChunk + 2, status: "dead", url, at: t0 });
    db.prepare("UPDATE deliveries SET tls_insecure = 1").run();
    const sameHost = ["dlv_bulk_000000000", `dlv_bulk_${String(requeueChunk + 1).padStart(9, "0")}`];
    db.prepare("UPDATE deliveries SET url = 'https://elsewhere.test/old' WHERE id IN (?, ?)").run(
      ...sameHost,
    );
    const ids = selectDeliveryIds(db, { status: "dead" });
    const summary = await requeueInChunks(db, ids, { now: t0, to: "https://elsewhere.test/hook" }, () => {});
    expect(summary.deliveryIds).toEqual(ids);
    const kept = db.prepare("SELECT id FROM deliveries WHERE tls_insecure = 1 ORDER BY id").pluck().all();
    expect(kept).toEqual(sameHost);
    expect(db.prepare("SELECT DISTINCT url FROM deliveries").pluck().all()).toEqual([
      "https://elsewhere.test/hook",
    ]);
  });

  it("mints fresh deliveries under newId and counts them", async () => {
    const db = openDb(tempDb());
    bulkDeliveries(db, { count: requeueChunk + 1, status: "dead", url, at: t0 });
    const ids = selectDeliveryIds(db, { status: "dead" });
    let n = 0;
    const summary = await requeueInChunks(db, ids, { now: t0, newId: () => `dlv_new_${n++}` }, () => {});
    expect(summary.fresh).toBe(requeueChunk + 1);
    expect(summary.deliveryIds.at(-1)).toBe(`dlv_new_${requeueChunk}`);
    expect(countByStatusOf(db, ids).dead).toBe(requeueChunk + 1);
    expect(countByStatusOf(db, summary.deliveryIds).pending).toBe(requeueChunk + 1);
  });
});

describe("describeInChunks", () => {
  it("describes every id in order, never more than a chunk at once", async () => {
    const db = openDb(tempDb());
    bulkDeliveries(db, { count: requeueChunk + 3, status: "succeeded", url, at: t0 });
    const ids = selectDeliveryIds(db, { status: "succeeded" });
    const sizes: number[] = [];
    const described: string[] = [];
    await describeInChunks(db, ids, (items) => {
      sizes.push(items.length);
      for (const item of items) described.push(item.delivery.id);
    });
    expect(sizes).toEqual([requeueChunk, 3]);
    expect(described).toEqual(ids);
  });
});

describe("selectDeliveryIdsInto", () => {
  it("holds the selection in the log's connection and reads it back by position, in id order", () => {
    const db = openDb(tempDb());
    bulkDeliveries(db, { count: 25, status: "dead", url, at: t0 });
    const all = selectDeliveryIds(db, { status: ["dead"] });
    const chosen = selectDeliveryIdsInto(db, { status: ["dead"] });
    expect(chosen.length).toBe(25);
    expect(chosen.slice()).toEqual(all);
    expect(chosen.slice(3, 7)).toEqual(all.slice(3, 7));
    expect(chosen.slice(20, 100)).toEqual(all.slice(20));
    expect([...chunksOf(chosen, 10)].map((chunk) => chunk.length)).toEqual([10, 10, 5]);
    db.close();
  });
});
