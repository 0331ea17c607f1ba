import { describe, expect, it } from "vitest";
import type { ClaimRequest } from "../../../src/store/engine-port.js";
import type { PgPool } from "../../../src/store/pg/connect.js";
import { PgEngineStore } from "../../../src/store/pg/engine-store.js";
import { attemptRecord } from "../../helpers/engine-kit.js";
import { postgresForFile } from "../../helpers/pg.js";
import { seedPgDeliveries, seedPgEndpoint } from "../../helpers/pg-log.js";

const pg = postgresForFile();
const url = "http://127.0.0.1:9/hook";
const t0 = Date.UTC(2026, 0, 1);
const none = { completions: [], releases: [] };

function claim(token: string, limit = 10): ClaimRequest {
  return { token, limit, marginMs: 200, exclude: [], scope: undefined };
}

/** The ids `store` leases at `now` under `token`. */
async function claimIds(store: PgEngineStore, now: number, token: string, limit = 10): Promise<string[]> {
  const result = await store.exchange({ now, ...none, claim: claim(token, limit) });
  return result.work.map((w) => w.delivery.id);
}

/** Stores over one fresh log, each with a pool of its own (as separate processes would have). */
async function stores(count: number, now: () => number = () => t0) {
  const { pool, url: at } = await pg.pool();
  const made: PgEngineStore[] = [];
  for (let i = 0; i < count; i++) {
    const own = i === 0 ? pool : (await pg.pool(at)).pool;
    const store = new PgEngineStore(own, { now });
    pg.defer(() => store.close());
    made.push(store);
  }
  return { pool, stores: made };
}

async function heldSlots(pool: PgPool, now: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM endpoint_slots WHERE lease_token IS NOT NULL AND expires_at > $1",
    [now],
  );
  return rows[0]?.n ?? 0;
}

describe("PgEngineStore: shared endpoint limits", () => {
  it("a cap holds across stores claiming at once; completions and releases free slots", async () => {
    const { pool, stores: all } = await stores(3);
    await seedPgEndpoint(pool, { id: "ep_cap", name: "cap", url, createdAt: t0, concurrency: 3 });
    await seedPgDeliveries(pool, { url, now: t0, count: 20, endpointId: "ep_cap", timeoutMs: 1000 });
    const results = await Promise.all(
      all.flatMap((store, i) =>
        [0, 1].map((j) => store.exchange({ now: t0, ...none, claim: claim(`s${i}-${j}`) })),
      ),
    );
    const taken = results.flatMap((r) => r.work);
    expect(taken).toHaveLength(3);
    expect(await heldSlots(pool, t0)).toBe(3);
    expect(await claimIds(all[0] as PgEngineStore, t0, "more")).toEqual([]);

    const [done, handedBack] = taken as [(typeof taken)[number], (typeof taken)[number]];
    const store = all[1] as PgEngineStore;
    const next = await store.exchange({
      now: t0 + 10,
      completions: [
        {
          token: done.token,
          attempt: attemptRecord(done.delivery.id, 200, t0 + 5),
          next: { status: "succeeded" },
        },
      ],
      releases: [{ id: handedBack.delivery.id, token: handedBack.token }],
    });
    expect(next.recorded).toEqual([true]);
    expect(await heldSlots(pool, t0 + 10)).toBe(1);
    expect(await claimIds(store, t0 + 10, "after")).toHaveLength(2);
    expect(await heldSlots(pool, t0 + 10)).toBe(3);
  });

  it("a crashed holder's slot frees itself when its lease expires; renew keeps it held", async () => {
    let now = t0;
    const { pool, stores: all } = await stores(2, () => now);
    const [a, b] = all as [PgEngineStore, PgEngineStore];
    await seedPgEndpoint(pool, { id: "ep_one", name: "one", url, createdAt: t0, concurrency: 1 });
    await seedPgDeliveries(pool, { url, now: t0, count: 3, endpointId: "ep_one", timeoutMs: 1000 });
    expect(await claimIds(a, t0, "alive")).toHaveLength(1);
    // Renewed at +1000: held until +1000 + 1000 + 200.
    expect(await a.renew(["alive"], t0 + 1000, 200)).toHaveLength(1);
    expect(await claimIds(b, t0 + 2199, "b1")).toEqual([]);
    now = t0 + 2199;
    expect((await b.outlook(undefined, new Set(), [])).nextDue).toBeNull();

    // The holder crashed (no more renewals): at expiry the slot is free again, by its own columns.
    now = t0 + 2200;
    expect((await b.outlook(undefined, new Set(), [])).nextDue).toBe(t0);
    expect(await claimIds(b, t0 + 2200, "b2")).toHaveLength(1);
    expect(await heldSlots(pool, t0 + 2200)).toBe(1);
    // The old holder's completion, late, frees nothing: the slot is its successor's now.
    const [old] = (await pool.query<{ id: string }>("SELECT id FROM deliveries WHERE lease_token = 'alive'"))
      .rows as [{ id: string }];
    await a.exchange({
      now: t0 + 2300,
      completions: [
        { token: "alive", attempt: attemptRecord(old.id, 200, t0 + 10), next: { status: "succeeded" } },
      ],
      releases: [],
    });
    expect(await heldSlots(pool, t0 + 2300)).toBe(1);
    expect(await claimIds(a, t0 + 2300, "a2")).toEqual([]);
  });

  it("a stale holder's release does not free the slot its successor took", async () => {
    const { pool, stores: all } = await stores(2);
    const [a, b] = all as [PgEngineStore, PgEngineStore];
    await seedPgEndpoint(pool, { id: "ep_one", name: "one", url, createdAt: t0, concurrency: 1 });
    const [first] = (await seedPgDeliveries(pool, {
      url,
      now: t0,
      endpointId: "ep_one",
      timeoutMs: 1000,
    })) as [string];
    await seedPgDeliveries(pool, { url, now: t0 + 1, endpointId: "ep_one", timeoutMs: 1000 });
    expect(await claimIds(a, t0, "old")).toEqual([first]);
    expect(await claimIds(b, t0 + 1200, "new")).toHaveLength(1);
    await a.exchange({ now: t0 + 1300, completions: [], releases: [{ id: first, token: "old" }] });
    expect(await heldSlots(pool, t0 + 1300)).toBe(1);
    expect(await claimIds(a, t0 + 1300, "again")).toEqual([]);
  });

  it("a rate is shared: tokens are spent by claims, and the outlook says when the next one comes", async () => {
    let now = t0;
    const { pool, stores: all } = await stores(2, () => now);
    const [a, b] = all as [PgEngineStore, PgEngineStore];
    // 10/s: a burst of 1, one token every 100 ms.
    await seedPgEndpoint(pool, { id: "ep_rate", name: "rate", url, createdAt: t0, ratePerSecond: 10 });
    await seedPgDeliveries(pool, { url, now: t0 - 10, count: 5, endpointId: "ep_rate" });
    expect(await claimIds(a, t0, "a1")).toHaveLength(1);
    // Held back by the rate: the engine is told to ask again soon.
    const held = await b.exchange({ now: t0, ...none, claim: claim("b1") });
    expect(held).toMatchObject({ work: [], heldBack: true });
    expect(await claimIds(b, t0 + 99, "b2")).toEqual([]);
    now = t0 + 99;
    expect(await b.outlook(undefined, new Set(), [])).toMatchObject({ anyPending: true, nextDue: t0 + 100 });
    expect(await claimIds(b, t0 + 100, "b3")).toHaveLength(1);
    // A clock behind the bucket's refill time gets nothing extra.
    expect(await claimIds(a, t0 + 50, "a2")).toEqual([]);
    // An idle bucket holds one token at most.
    expect(await claimIds(a, t0 + 10_000, "a3")).toHaveLength(1);
    expect(await claimIds(a, t0 + 10_000, "a4")).toEqual([]);
  });

  it("a full endpoint neither fills the batch nor shows as due, and the others go on", async () => {
    let now = t0;
    const { pool, stores: all } = await stores(1, () => now);
    const store = all[0] as PgEngineStore;
    await seedPgEndpoint(pool, { id: "ep_cap", name: "cap", url, createdAt: t0, concurrency: 1 });
    const limited = await seedPgDeliveries(pool, { url, now: t0 - 100, count: 20, endpointId: "ep_cap" });
    const free = await seedPgDeliveries(pool, { url, now: t0 - 50, count: 6 });
    const first = await claimIds(store, t0, "c1", 5);
    expect(first[0]).toBe(limited[0]);
    expect(first.filter((id) => free.includes(id))).toHaveLength(4);
    now = t0 + 1;
    const outlook = await store.outlook(undefined, new Set(first), []);
    expect(outlook).toMatchObject({ anyPending: true, nextDue: t0 - 50 });
    expect(free).toContain(outlook.nextDueId);
    const rest = free.filter((id) => !first.includes(id));
    expect((await claimIds(store, t0 + 1, "c2")).sort()).toEqual(rest.sort());
    expect(await store.outlook(undefined, new Set(), [])).toMatchObject({ anyPending: true, nextDue: null });
  });

  it("slots follow the endpoint's cap: raised, lowered (free ones above it go, held ones stay), deleted", async () => {
    const { pool, stores: all } = await stores(1);
    await seedPgEndpoint(pool, { id: "ep_c", name: "c", url, createdAt: t0, concurrency: 2 });
    const slots = async () =>
      (await pool.query<{ slot: number }>("SELECT slot FROM endpoint_slots ORDER BY slot")).rows.map(
        (r) => r.slot,
      );
    expect(await slots()).toEqual([1, 2]);
    await pool.query("UPDATE endpoints SET concurrency = 4 WHERE id = 'ep_c'");
    expect(await slots()).toEqual([1, 2, 3, 4]);
    await seedPgDeliveries(pool, { url, now: t0, count: 2, endpointId: "ep_c", timeoutMs: 1000 });
    expect(await claimIds(all[0] as PgEngineStore, t0, "held")).toHaveLength(2);
    await pool.query("UPDATE endpoints SET concurrency = 1 WHERE id = 'ep_c'");
    expect(await slots()).toEqual([1, 2]);
    await pool.query("UPDATE endpoints SET concurrency = NULL WHERE id = 'ep_c'");
    expect(await slots()).toEqual([1, 2]);
    await pool.query("DELETE FROM endpoints WHERE id = 'ep_c'");
    expect(await slots()).toEqual([]);
  });

  it("send's new deliveries of a limited endpoint are stored pending and claimed like any row: the cap holds", async () => {
    const { pool, stores: all } = await stores(2);
    const [a, b] = all as [PgEngineStore, PgEngineStore];
    await seedPgEndpoint(pool, { id: "ep_two", name: "two", url, createdAt: t0, concurrency: 2 });
    await seedPgDeliveries(pool, { url, now: t0, count: 5, endpointId: "ep_two", timeoutMs: 1000 });
    const item = (n: number) => ({
      event: {
        id: `evt_${n}`,
        type: "order.created",
        body: Buffer.from("{}"),
        contentType: "application/json",
        createdAt: t0,
      },
      delivery: {
        id: `dlv_ins${n}`,
        endpointId: "ep_two",
        url,
        scheme: "hookctl",
        extraHeaders: {},
        secrets: null,
        policy: "{}",
        timeoutMs: 1000,
        tls: null,
      },
    });
    const status = async (id: string) =>
      (await pool.query<{ status: string }>("SELECT status FROM deliveries WHERE id = $1", [id])).rows[0]
        ?.status;
    const claimNamed = (store: PgEngineStore, now: number, token: string, ids: string[]) =>
      store.exchange({ now, ...none, claim: { ...claim(token), ids } });

    // Persisted first, leased only through a claim that takes a slot.
    const sent = await a.exchange({
      now: t0,
      ...none,
      insert: { token: "send", marginMs: 200, items: [item(1)] },
    });
    expect(sent.work).toEqual([]);
    expect(sent.parked).toEqual(["dlv_ins1"]);
    expect(await status("dlv_ins1")).toBe("pending");
    expect(await heldSlots(pool, t0)).toBe(0);
    const first = await claimNamed(a, t0, "send", ["dlv_ins1"]);
    expect(first.work.map((w) => w.delivery.id)).toEqual(["dlv_ins1"]);
    expect(await heldSlots(pool, t0)).toBe(1);
    expect(await claimIds(b, t0, "b")).toHaveLength(1);
    expect(await heldSlots(pool, t0)).toBe(2);

    // Full: the new rows are stored and wait; a claim of them brings nothing, and the cap holds.
    const more = await a.exchange({
      now: t0,
      ...none,
      insert: { token: "send2", marginMs: 200, items: [item(2), item(3)] },
    });
    expect(more.work).toEqual([]);
    expect(more.parked).toEqual(["dlv_ins2", "dlv_ins3"]);
    const full = await claimNamed(a, t0, "send2", ["dlv_ins2", "dlv_ins3"]);
    expect(full.work).toEqual([]);
    expect(full.refused).toEqual([]);
    expect(await heldSlots(pool, t0)).toBe(2);

    // The first one's completion frees its slot: one of the parked rows goes.
    await a.exchange({
      now: t0 + 10,
      completions: [
        { token: "send", attempt: attemptRecord("dlv_ins1", 200, t0), next: { status: "succeeded" } },
      ],
      releases: [],
    });
    const next = await claimNamed(a, t0 + 10, "send3", ["dlv_ins2", "dlv_ins3"]);
    expect(next.work).toHaveLength(1);
    expect(await heldSlots(pool, t0 + 10)).toBe(2);
    // One another process finished meanwhile comes back refused, not claimed.
    const other = next.work[0]?.delivery.id === "dlv_ins2" ? "dlv_ins3" : "dlv_ins2";
    await pool.query("UPDATE deliveries SET status = 'succeeded' WHERE id = $1", [other]);
    const gone = await claimNamed(a, t0 + 10, "send4", [other]);
    expect(gone.work).toEqual([]);
    expect(gone.refused).toEqual([other]);
    // So does one another process attempted and rescheduled, and one deleted (pruned, purged).
    await pool.query(
      "UPDATE deliveries SET status = 'pending', next_trigger = 'scheduled', attempt_count = 1 WHERE id = $1",
      [other],
    );
    expect((await claimNamed(a, t0 + 10, "send5", [other, "dlv_missing"])).refused).toEqual([
      other,
      "dlv_missing",
    ]);

    // The next copy of a delivery (send --duplicate) is parked the same way: the endpoint is full.
    const copy = await a.exchange({
      now: t0 + 20,
      ...none,
      again: { token: "copy", marginMs: 200, ids: ["dlv_ins1"] },
    });
    expect(copy).toMatchObject({ work: [], parked: ["dlv_ins1"], refused: [] });
    expect(await status("dlv_ins1")).toBe("pending");
    expect((await claimNamed(a, t0 + 20, "copy", ["dlv_ins1"])).work).toEqual([]);
    expect(await heldSlots(pool, t0 + 20)).toBe(2);
  });

  it("a lease renewed after a stall longer than itself is kept only if its slot is still its own", async () => {
    const { pool, stores: all } = await stores(2);
    const [a, b] = all as [PgEngineStore, PgEngineStore];
    await seedPgEndpoint(pool, { id: "ep_one", name: "one", url, createdAt: t0, concurrency: 1 });
    await seedPgEndpoint(pool, { id: "ep_free", name: "free", url, createdAt: t0 });
    await seedPgDeliveries(pool, { url, now: t0, count: 2, endpointId: "ep_one", timeoutMs: 1000 });
    const [loose] = (await seedPgDeliveries(pool, {
      url,
      now: t0,
      endpointId: "ep_free",
      timeoutMs: 1000,
    })) as [string];
    expect(await claimIds(a, t0, "stalled", 10)).toHaveLength(2);
    // Expired at +1200, nobody took the slot yet: renewing late keeps it (and the slot).
    expect((await a.renew(["stalled"], t0 + 1500, 200)).sort()).toHaveLength(2);
    expect(await claimIds(b, t0 + 1500, "b1")).toEqual([]);
    // Expired again at +2700; this time another scheduler takes the free slot first.
    expect(await claimIds(b, t0 + 2800, "b2")).toHaveLength(1);
    const kept = await a.renew(["stalled"], t0 + 2900, 200);
    // The capped delivery is lost (its slot is b's); the uncapped one had no slot to lose.
    expect(kept).toEqual([loose]);
    expect(await heldSlots(pool, t0 + 2900)).toBe(1);
  });

  it("after the cap is lowered, slots above it still held count against it until they are freed", async () => {
    const { pool, stores: all } = await stores(2);
    const [a, b] = all as [PgEngineStore, PgEngineStore];
    await seedPgEndpoint(pool, { id: "ep_c", name: "c", url, createdAt: t0, concurrency: 4 });
    await seedPgDeliveries(pool, { url, now: t0, count: 10, endpointId: "ep_c", timeoutMs: 1000 });
    const held = (await a.exchange({ now: t0, ...none, claim: claim("a", 10) })).work;
    expect(held).toHaveLength(4);
    await pool.query("UPDATE endpoints SET concurrency = 2 WHERE id = 'ep_c'");
    // Four attempts run, the cap is two: nothing more until two of them finish.
    expect(await claimIds(b, t0, "b1")).toEqual([]);
    expect((await b.outlook(undefined, new Set(), [])).nextDue).toBeNull();
    const finish = (works: typeof held) =>
      a.exchange({
        now: t0 + 10,
        completions: works.map((w) => ({
          token: "a",
          attempt: attemptRecord(w.delivery.id, 200, t0),
          next: { status: "succeeded" as const },
        })),
        releases: [],
      });
    await finish(held.slice(0, 2));
    expect(await claimIds(b, t0 + 10, "b2")).toEqual([]);
    await finish(held.slice(2, 3));
    expect(await claimIds(b, t0 + 10, "b3")).toHaveLength(1);
    await finish(held.slice(3));
    expect(await claimIds(b, t0 + 10, "b4")).toHaveLength(1);
    expect(await heldSlots(pool, t0 + 10)).toBe(2);
  });
});
