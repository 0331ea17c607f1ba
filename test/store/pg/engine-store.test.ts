import { describe, expect, it } from "vitest";
import type { ClaimRequest, ExchangeResult } from "../../../src/store/engine-port.js";
import type { PgPool } from "../../../src/store/pg/connect.js";
import { PgEngineStore } from "../../../src/store/pg/engine-store.js";
import { waitFor } from "../../helpers/bin.js";
import { attemptRecord } from "../../helpers/engine-kit.js";
import { postgresForFile } from "../../helpers/pg.js";
import { pgAttempts, pgDelivery, seedPgDeliveries, seedPgEndpoint } from "../../helpers/pg-log.js";

const pg = postgresForFile();
const url = "http://127.0.0.1:9/hook";
const t0 = Date.UTC(2026, 0, 1);
const none = { completions: [], releases: [] };

function claim(token: string, more: Partial<ClaimRequest> = {}): ClaimRequest {
  return { token, limit: 10, marginMs: 200, exclude: [], scope: undefined, ...more };
}

const ids = (result: ExchangeResult) => result.work.map((w) => w.delivery.id);

/** A store over a fresh log, closed after the test. */
async function freshStore(): Promise<{ pool: PgPool; store: PgEngineStore; url: string }> {
  const { pool, url: at } = await pg.pool();
  const store = new PgEngineStore(pool);
  pg.defer(() => store.close());
  return { pool, store, url: at };
}

describe("PgEngineStore: claims", () => {
  it("leases due rows in due order under the token, with expiry now + timeout + margin, and skips excluded endpoints", async () => {
    const { pool, store } = await freshStore();
    await seedPgEndpoint(pool, { id: "ep_busy", name: "busy", url, createdAt: t0 }, ["whsec_b1", "whsec_b2"]);
    const [late] = await seedPgDeliveries(pool, { url, now: t0 - 1, timeoutMs: 1000 });
    const [early] = await seedPgDeliveries(pool, { url, now: t0 - 5, timeoutMs: 500 });
    const [busy] = await seedPgDeliveries(pool, { url, now: t0 - 3, endpointId: "ep_busy" });
    const [future] = await seedPgDeliveries(pool, { url, now: t0 + 1000 });

    const first = await store.exchange({
      now: t0,
      ...none,
      claim: claim("lease-a", { exclude: ["ep_busy"] }),
    });
    expect(ids(first)).toEqual([early, late]);
    expect(first.work.map((w) => w.token)).toEqual(["lease-a", "lease-a"]);
    expect(first.work[0]?.delivery).toMatchObject({
      status: "in_flight",
      leaseToken: "lease-a",
      leaseExpiresAt: t0 + 500 + 200,
      attemptCount: 0,
      nextTrigger: "initial",
      damage: null,
    });
    expect(first.work[0]?.event).toMatchObject({ type: "order.created", contentType: "application/json" });
    expect(first.work[0]?.event.body.toString()).toBe('{"order":42}');
    expect(await pgDelivery(pool, late as string)).toMatchObject({
      leaseToken: "lease-a",
      leaseExpiresAt: t0 + 1200,
    });

    // The excluded endpoint's row comes once it is not excluded, signed with its secrets newest first.
    const second = await store.exchange({ now: t0, ...none, claim: claim("lease-b") });
    expect(ids(second)).toEqual([busy]);
    expect(second.work[0]?.secrets).toEqual(["whsec_b2", "whsec_b1"]);
    expect(ids(await store.exchange({ now: t0, ...none, claim: claim("lease-c") }))).toEqual([]);
    // A due cut-off earlier than now leaves later rows alone.
    expect(ids(await store.exchange({ now: t0 + 2000, ...none, claim: claim("d", { dueBy: t0 }) }))).toEqual(
      [],
    );
    expect(ids(await store.exchange({ now: t0 + 2000, ...none, claim: claim("e") }))).toEqual([future]);
  });

  it("two stores claiming at once never lease one row twice (FOR UPDATE SKIP LOCKED)", async () => {
    const { pool, url: at } = await pg.pool();
    const { pool: other } = await pg.pool(at);
    const seeded = await seedPgDeliveries(pool, { url, now: t0, count: 300 });
    const a = new PgEngineStore(pool);
    const b = new PgEngineStore(other);
    const taken: string[] = [];
    let round = 0;
    for (;;) {
      round++;
      const results = await Promise.all([
        a.exchange({ now: t0, ...none, claim: claim(`a-${round}`, { limit: 7 }) }),
        b.exchange({ now: t0, ...none, claim: claim(`b-${round}`, { limit: 7 }) }),
        a.exchange({ now: t0, ...none, claim: claim(`a2-${round}`, { limit: 7 }) }),
      ]);
      const got = results.flatMap(ids);
      if (got.length === 0) break;
      taken.push(...got);
    }
    expect(taken).toHaveLength(300);
    expect(new Set(taken).size).toBe(300);
    expect([...taken].sort()).toEqual([...seeded].sort());
  });

  it("a damaged row is shelved as a dead letter, never handed out", async () => {
    const { pool, store } = await freshStore();
    const [bad, good] = await seedPgDeliveries(pool, { url, now: t0, count: 2 });
    await pool.query("UPDATE deliveries SET extra_headers = 'not json' WHERE id = $1", [bad]);
    const result = await store.exchange({ now: t0, ...none, claim: claim("lease-a") });
    expect(ids(result)).toEqual([good]);
    expect(result.shelved).toEqual([bad]);
    expect(await pgDelivery(pool, bad as string)).toMatchObject({
      status: "dead",
      leaseToken: null,
      completedAt: t0,
    });
  });
});

describe("PgEngineStore: completions, renewals, releases, reclaims", () => {
  it("writes a batch of completions in one exchange: attempts with their bytes, the next state of each", async () => {
    const { pool, store } = await freshStore();
    const [ok, retry, dead] = await seedPgDeliveries(pool, { url, now: t0, count: 3 });
    await store.exchange({ now: t0, ...none, claim: claim("lease-a") });
    const body = new Uint8Array([0, 1, 2, 255]);
    const result = await store.exchange({
      now: t0 + 50,
      completions: [
        {
          token: "lease-a",
          attempt: {
            ...attemptRecord(ok as string, 200, t0 + 10),
            requestHeaders: { "X-Webhook-Delivery-ID": ok as string },
            responseHeaders: { "content-type": "application/octet-stream" },
            responseBody: body,
            responseTruncated: true,
            durationMs: 12.345,
          },
          next: { status: "succeeded" },
        },
        {
          token: "lease-a",
          attempt: attemptRecord(retry as string, 503, t0 + 11),
          next: { status: "pending", nextAttemptAt: t0 + 1000 },
        },
        { token: "lease-b", attempt: attemptRecord(dead as string, 500, t0 + 12), next: { status: "dead" } },
      ],
      releases: [],
    });
    expect(result.recorded).toEqual([true, true, false]);
    const [attempt] = await pgAttempts(pool, ok as string);
    expect(attempt).toMatchObject({
      statusCode: 200,
      number: 1,
      trigger: "initial",
      startedAt: t0 + 10,
      durationMs: 12.345,
      requestHeaders: { "X-Webhook-Delivery-ID": ok },
      responseHeaders: { "content-type": "application/octet-stream" },
      responseTruncated: true,
      errorClass: null,
      damage: null,
    });
    expect([...(attempt?.responseBody ?? [])]).toEqual([0, 1, 2, 255]);
    expect(await pgDelivery(pool, ok as string)).toMatchObject({
      status: "succeeded",
      attemptCount: 1,
      scheduleAttempts: 1,
      leaseToken: null,
      completedAt: t0 + 50,
      lastStatusCode: 200,
    });
    expect(await pgDelivery(pool, retry as string)).toMatchObject({
      status: "pending",
      nextAttemptAt: t0 + 1000,
      nextTrigger: "scheduled",
      lastStatusCode: 503,
      lastErrorClass: "http",
      lastError: "HTTP 503",
      completedAt: null,
    });
    // The wrong token wrote nothing: still leased to lease-a, no attempt.
    expect(await pgDelivery(pool, dead as string)).toMatchObject({
      status: "in_flight",
      leaseToken: "lease-a",
    });
    expect(await pgAttempts(pool, dead as string)).toEqual([]);
  });

  it("renew extends the leases held under the tokens and says which deliveries those are", async () => {
    const { pool, store } = await freshStore();
    const [x, y, z] = await seedPgDeliveries(pool, { url, now: t0, count: 3, timeoutMs: 1000 });
    await store.exchange({ now: t0, ...none, claim: claim("lease-a", { limit: 2 }) });
    await store.exchange({ now: t0, ...none, claim: claim("lease-b", { limit: 1 }) });
    expect((await store.renew(["lease-a", "lease-gone"], t0 + 500, 300)).sort()).toEqual([x, y].sort());
    expect(await pgDelivery(pool, x as string)).toMatchObject({ leaseExpiresAt: t0 + 500 + 1000 + 300 });
    expect(await pgDelivery(pool, z as string)).toMatchObject({ leaseExpiresAt: t0 + 1000 + 200 });
    expect(await store.renew([], t0, 300)).toEqual([]);
  });

  it("a release hands the row back due, and wakes every engine listening on the log", async () => {
    const { pool, url: at } = await pg.pool();
    const { pool: other } = await pg.pool(at);
    const store = new PgEngineStore(pool);
    const watcher = new PgEngineStore(other);
    pg.defer(() => watcher.close());
    let woken = 0;
    const stop = watcher.onWork(() => woken++);
    expect(await watcher.listening()).toBe(true);
    const [id] = (await seedPgDeliveries(pool, { url, now: t0 })) as [string];
    await waitFor(() => (woken >= 1 ? true : undefined), 10_000, "the seed's notification");

    await store.exchange({ now: t0, ...none, claim: claim("lease-a") });
    const before = woken;
    await store.exchange({ now: t0 + 5, completions: [], releases: [{ id, token: "lease-a" }] });
    await waitFor(() => (woken > before ? true : undefined), 10_000, "the release's notification");
    expect(await pgDelivery(pool, id)).toMatchObject({
      status: "pending",
      leaseToken: null,
      nextAttemptAt: t0,
    });

    // A reclaim wakes them too.
    await store.exchange({ now: t0 + 10, ...none, claim: claim("lease-b") });
    const beforeReclaim = woken;
    expect(await store.reclaimExpired(t0 + 60_000)).toBe(1);
    await waitFor(() => (woken > beforeReclaim ? true : undefined), 10_000, "the reclaim's notification");
    stop();
  });
});

describe("PgEngineStore: inserts, reopens, scopes, outlook", () => {
  it("inserts events with deliveries already leased, and reopens finished ones (refusing those in flight)", async () => {
    const { pool, store } = await freshStore();
    await seedPgEndpoint(pool, { id: "ep_a", name: "a", url, createdAt: t0 }, ["whsec_a"]);
    const event = {
      id: "evt_1",
      type: "invoice.paid",
      body: Buffer.from("hi"),
      contentType: "text/plain",
      createdAt: t0,
    };
    const delivery = {
      id: "dlv_1",
      endpointId: "ep_a",
      url,
      scheme: "hookctl",
      extraHeaders: { "X-Extra": "1" },
      secrets: null,
      policy: "{}",
      timeoutMs: 700,
      tls: { insecure: true, ca: null } as const,
    };
    const inserted = await store.exchange({
      now: t0,
      ...none,
      insert: { token: "send-1", marginMs: 100, items: [{ event, delivery }] },
    });
    expect(inserted.work).toMatchObject([
      {
        token: "send-1",
        secrets: ["whsec_a"],
        delivery: { id: "dlv_1", status: "in_flight", leaseExpiresAt: t0 + 800 },
      },
    ]);
    expect(await pgDelivery(pool, "dlv_1")).toMatchObject({
      status: "in_flight",
      leaseToken: "send-1",
      extraHeaders: { "X-Extra": "1" },
      tls: { insecure: true, ca: null },
      eventId: "evt_1",
    });
    const [done] = (await seedPgDeliveries(pool, { url, now: t0 })) as [string];
    await store.exchange({ now: t0, ...none, claim: claim("c") });
    await store.exchange({
      now: t0 + 1,
      completions: [{ token: "c", attempt: attemptRecord(done, 200, t0), next: { status: "succeeded" } }],
      releases: [],
    });

    const again = await store.exchange({
      now: t0 + 2,
      ...none,
      again: { token: "again-1", marginMs: 100, ids: [done, "dlv_1"] },
    });
    expect(ids(again)).toEqual([done]);
    expect(again.refused).toEqual(["dlv_1"]);
    expect(again.work[0]?.delivery).toMatchObject({
      status: "in_flight",
      leaseToken: "again-1",
      nextTrigger: "manual",
      scheduleAttempts: 0,
      attemptCount: 1,
      completedAt: null,
    });
  });

  it("claims, counts and looks ahead only within a scope: a listed one or a named set", async () => {
    const { pool, store } = await freshStore();
    const inside = await seedPgDeliveries(pool, { url, now: t0, count: 3 });
    const outside = await seedPgDeliveries(pool, { url, now: t0 - 10, count: 2 });
    const listed = [...inside.slice(0, 2), "dlv_missing"];
    expect(await store.pendingCount(listed)).toBe(2);
    expect(await store.pendingCount(undefined)).toBe(5);
    expect(inside.slice(0, 2)).toContain((await store.outlook(listed, new Set(), [])).nextDueId);
    expect(
      ids(await store.exchange({ now: t0, ...none, claim: claim("a", { scope: listed }) })).sort(),
    ).toEqual(inside.slice(0, 2).sort());
    await store.addToSet({ set: "requeued_1" }, [inside[2] as string, outside[0] as string]);
    const set = { set: "requeued_1" };
    expect(await store.pendingCount(set)).toBe(2);
    expect(ids(await store.exchange({ now: t0, ...none, claim: claim("b", { scope: set }) }))).toEqual([
      outside[0],
      inside[2],
    ]);
    expect(await store.pendingCount(set)).toBe(0);
    expect(await store.outlook(set, new Set(), [])).toMatchObject({ anyPending: false, nextDue: null });
    expect(await store.pendingCount(undefined)).toBe(1);
    await store.close();
    const { rows } = await pool.query("SELECT DISTINCT set_name FROM scope_sets");
    expect(rows).toEqual([{ set_name: "requeued_1" }]);
  });

  it("outlook: the next due row of endpoints not excluded, and the earliest lease this engine does not hold", async () => {
    const { pool, store } = await freshStore();
    expect(await store.outlook(undefined, new Set(), [])).toEqual({
      anyPending: false,
      nextDue: null,
      nextDueId: null,
      foreignLeaseExpiry: null,
    });
    await seedPgEndpoint(pool, {
      id: "ep_x",
      name: "x",
      url,
      createdAt: t0,
      concurrency: 4,
      ratePerSecond: 2.5,
    });
    const [mine, theirs] = await seedPgDeliveries(pool, { url, now: t0, count: 2, timeoutMs: 1000 });
    await store.exchange({ now: t0, ...none, claim: claim("mine", { limit: 1 }) });
    await store.exchange({ now: t0 + 100, ...none, claim: claim("theirs", { limit: 1 }) });
    const [gated] = await seedPgDeliveries(pool, { url, now: t0 + 50, endpointId: "ep_x" });
    const [later] = await seedPgDeliveries(pool, { url, now: t0 + 500 });
    const held = new Set([mine as string]);
    expect(await store.outlook(undefined, held, [])).toEqual({
      anyPending: true,
      nextDue: t0 + 50,
      nextDueId: gated,
      foreignLeaseExpiry: t0 + 100 + 1200,
    });
    expect(await store.outlook(undefined, held, ["ep_x"])).toMatchObject({
      nextDue: t0 + 500,
      nextDueId: later,
    });
    expect(await store.outlook(undefined, new Set([mine as string, theirs as string]), [])).toMatchObject({
      foreignLeaseExpiry: null,
    });
    expect(await store.endpointLimits("ep_x")).toEqual({
      id: "ep_x",
      name: "x",
      concurrency: 4,
      ratePerSecond: 2.5,
    });
    expect(await store.endpointLimits("ep_none")).toBeUndefined();
  });
});
