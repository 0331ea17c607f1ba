import { describe, expect, it } from "vitest";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { Leases } from "../../src/store/leases.js";
import { type Db, openDb } from "../../src/store/open.js";
import { SqliteEngineStore } from "../../src/store/sqlite-engine.js";
import { waitFor } from "../helpers/bin.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import {
  attemptRecord,
  discreteClock,
  fakeAttempts,
  gatedAttempts,
  RecordingStore,
  runEngine,
} from "../helpers/engine-kit.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hook";
// The engine's tests that need no SQLite-only tool run on both backends: engine-backends.test.ts.

/** Two connections to one fresh log: the engine's, and another process's view of it. */
function twoConnections(): { db: Db; other: Db; close: () => void } {
  const path = tempDb();
  const db = openDb(path);
  const other = openDb(path);
  return {
    db,
    other,
    close: () => {
      db.close();
      other.close();
    },
  };
}

/** Two connections and a clock held still: time moves only when the test says. */
function stillLog() {
  const log = twoConnections();
  const clock = discreteClock();
  clock.hold();
  return { ...log, clock, t0: clock.now() };
}

describe("engine: leases", () => {
  it("renewal: rows whose lease was taken while they waited (ready or parked) are dropped unsent", async () => {
    const { db, other, close, clock, t0 } = stillLog();
    seedEndpoint(db, { id: "ep_slow", name: "slow", url, ratePerSecond: 1, createdAt: t0 });
    // Claim order is due order: slow1 runs, slow2 waits for a token, free1 runs, free2 waits for a slot.
    const [slow1, slow2] = seedDeliveries(db, {
      url,
      now: t0 - 3,
      count: 2,
      endpointId: "ep_slow",
      timeoutMs: 1000,
    }) as [string, string];
    const [free1] = seedDeliveries(db, { url, now: t0 - 2, timeoutMs: 1000 }) as [string];
    const [free2] = seedDeliveries(db, { url, now: t0 - 1, timeoutMs: 1000 }) as [string];
    const fake = gatedAttempts(clock, [slow1, free1]);
    const store = new RecordingStore(new SqliteEngineStore(db), clock);
    const run = runEngine(store, clock, fake.attempt, {
      concurrency: 2,
      leaseMarginMs: 200,
      rateLimited: true,
    });
    await waitFor(() => (fake.calls.length === 2 ? true : undefined), 10_000, "two attempts to start");
    expect([...fake.ids()].sort()).toEqual([slow1, free1].sort());

    // Another process takes both waiting rows over, as a reclaim after a stall would.
    const leases = new Leases(other);
    for (const id of [slow2, free2]) {
      const token = getDelivery(other, id)?.leaseToken as string;
      expect(leases.release(id, token, t0)).toBe(true);
      expect(leases.claimById(id, { now: t0, leaseMs: 60_000, token: "lease-b" })?.id).toBe(id);
    }
    // The next renewal (every half margin, 100 ms at least) finds them gone.
    await clock.advance(100);
    await waitFor(() => (store.renewals.length > 0 ? true : undefined), 10_000, "a renewal");
    expect(store.renewals[0]?.kept.sort()).toEqual([slow1, free1].sort());
    for (const id of [slow2, free2]) {
      expect(
        leases.complete("lease-b", attemptRecord(id, 201, t0 + 100), { status: "succeeded" }, t0 + 100),
      ).toBe(true);
    }

    fake.finishAll();
    clock.release();
    const result = await run;
    expect(result).toMatchObject({ outcome: "done", succeeded: 2, attempts: 2, lost: 0 });
    expect(fake.calls.map((c) => c.deliveryId).sort()).toEqual([slow1, free1].sort());
    for (const id of [slow2, free2]) expect(listAttempts(db, id).map((r) => r.statusCode)).toEqual([201]);
    expect(store.exchanges.flatMap((e) => e.releases)).toEqual([]);
    close();
  });

  it("a row re-claimed under a new lease while its old copy waits is attempted once, not twice", async () => {
    const { db, other, close, clock, t0 } = stillLog();
    // Claim order is due order: x1 and x2 run (until the test says), r and s wait for a slot.
    const [x1, x2] = seedDeliveries(db, { url, now: t0 - 3, count: 2, timeoutMs: 1000 }) as [string, string];
    const [r] = seedDeliveries(db, { url, now: t0 - 2, timeoutMs: 1000 }) as [string];
    const [s] = seedDeliveries(db, { url, now: t0 - 1, timeoutMs: 1000 }) as [string];
    const fake = gatedAttempts(clock, [x1, x2]);
    const store = new RecordingStore(new SqliteEngineStore(db), clock);
    const run = runEngine(store, clock, fake.attempt, { concurrency: 2, leaseMarginMs: 200 });
    await waitFor(() => (fake.calls.length === 2 ? true : undefined), 10_000, "two attempts to start");

    // Another process takes s over: the next renewal drops it, and the engine claims again.
    const leases = new Leases(other);
    const tokenOf = (id: string) => getDelivery(other, id)?.leaseToken as string;
    expect(leases.release(s, tokenOf(s), t0)).toBe(true);
    expect(leases.claimById(s, { now: t0, leaseMs: 60_000, token: "lease-b" })?.id).toBe(s);
    // Meanwhile r's lease lapsed and another process reclaimed it (reclaimExpired), just as the
    // engine's claim reached the log (it waited for that process's write lock): r is due again.
    store.onExchange = (request) => {
      if (!request.claim) return;
      store.onExchange = undefined;
      expect(leases.release(r, tokenOf(r), t0)).toBe(true);
    };
    await clock.advance(100);
    await waitFor(
      () => (store.exchanges.at(-1)?.claimed.includes(r) ? true : undefined),
      10_000,
      "r claimed again",
    );
    await clock.advance(100);
    expect(leases.complete("lease-b", attemptRecord(s, 201, t0), { status: "succeeded" }, t0)).toBe(true);

    fake.finishAll();
    clock.release();
    const result = await run;
    // r is held twice (the lapsed lease's copy and the new one): only the new one may go.
    expect(fake.calls.filter((c) => c.deliveryId === r)).toHaveLength(1);
    expect(fake.maxOverlap()).toBe(1);
    expect(result).toMatchObject({ outcome: "done", succeeded: 3, attempts: 3, lost: 0 });
    expect(listAttempts(db, r)).toHaveLength(1);
    close();
  });
});

describe("engine: a port that answers later", () => {
  it("with a port 60 ms away, a commit that falls due while a batch is on its way is waited for, not spun on", async () => {
    const { db, close } = twoConnections();
    const clock = discreteClock();
    seedDeliveries(db, { url, now: clock.now(), count: 100, timeoutMs: 300 });
    const fake = fakeAttempts(clock, () => ({ status: 200, ms: 10 }));
    const store = new RecordingStore(new SqliteEngineStore(db), clock, 60);
    const result = await runEngine(store, clock, fake.attempt, { concurrency: 4, leaseMarginMs: 200 });
    expect(result).toMatchObject({ outcome: "done", succeeded: 100, attempts: 100, lost: 0 });
    expect(clock.spins()).toBe(0);
    close();
  });

  it("with a port 60 ms away, a renewal sent while a claim is on its way does not drop the rows it brings", async () => {
    const { db, close } = twoConnections();
    const clock = discreteClock();
    const ids = seedDeliveries(db, { url, now: clock.now(), count: 200, timeoutMs: 300 });
    const fake = fakeAttempts(clock, () => ({ status: 200, ms: 10 }));
    const store = new RecordingStore(new SqliteEngineStore(db), clock, 60);
    const result = await runEngine(store, clock, fake.attempt, { concurrency: 4, leaseMarginMs: 200 });

    expect(result).toMatchObject({ outcome: "done", succeeded: 200, attempts: 200, lost: 0 });
    // A claimed row is held until it is attempted: never given up as lost, never claimed again.
    const claims = store.claimCounts();
    expect([...claims.entries()].filter(([, n]) => n > 1)).toEqual([]);
    for (const id of ids) expect(listAttempts(db, id)).toHaveLength(1);
    close();
  });
});
