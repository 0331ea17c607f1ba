import { describe, expect, it } from "vitest";
import { Engine, type EngineOptions } from "../../src/delivery/engine/engine.js";
import type { SchedulerEvent } from "../../src/delivery/engine/events.js";
import { LogSource } from "../../src/delivery/engine/log-source.js";
import { TokenBucket } from "../../src/delivery/rate-limit.js";
import type { AttemptFn } from "../../src/delivery/types.js";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import type { EngineStore } from "../../src/store/engine-port.js";
import { Leases } from "../../src/store/leases.js";
import { type Db, openDb } from "../../src/store/open.js";
import { SqliteEngineStore } from "../../src/store/sqlite-engine.js";
import { waitFor } from "../helpers/bin.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import {
  attemptRecord,
  type DiscreteClock,
  discreteClock,
  engineDeps,
  fakeAttempts,
  gatedAttempts,
  RecordingStore,
} from "../helpers/engine-kit.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hook";

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

function runEngine(
  store: EngineStore,
  clock: DiscreteClock,
  attempt: AttemptFn,
  options: EngineOptions & { rateLimited?: boolean } = {},
) {
  const { rateLimited, ...rest } = options;
  const deps = engineDeps(store, clock, attempt);
  if (rateLimited) deps.rateLimiter = (ratePerSecond) => new TokenBucket({ ratePerSecond, now: clock.now });
  return new Engine(deps, new LogSource(store), rest).run();
}

describe("engine: group commit", () => {
  it("writes finished attempts in batches, each within the commit window of its finish, and reports only what is in the log", async () => {
    const { db, other, close } = twoConnections();
    const clock = discreteClock();
    const ids = seedDeliveries(db, { url, now: clock.now(), count: 48, timeoutMs: 1000 });
    // Attempts of 1 to 13 virtual ms: several finish inside any 5 ms window.
    const fake = fakeAttempts(clock, (id) => ({ status: 200, ms: 1 + (ids.indexOf(id) % 5) * 3 }));
    const store = new RecordingStore(new SqliteEngineStore(db), clock);
    const unseen: string[] = [];
    const onEvent = (event: SchedulerEvent) => {
      if (event.type !== "attempt-finished") return;
      // Another connection must already see the record when the engine says it finished.
      const rows = listAttempts(other, event.deliveryId);
      const row = getDelivery(other, event.deliveryId);
      if (rows.length !== event.attempt || row?.status !== "succeeded") unseen.push(event.deliveryId);
    };
    const result = await runEngine(store, clock, fake.attempt, {
      concurrency: 8,
      commitWindowMs: 5,
      onEvent,
    });

    expect(result).toMatchObject({ outcome: "done", succeeded: 48, attempts: 48, lost: 0 });
    expect(unseen).toEqual([]);
    const commits = store.exchanges.filter((e) => e.completions.length > 0);
    const completions = commits.flatMap((e) => e.completions.map((c) => ({ ...c, at: e.at })));
    expect(completions.map((c) => c.deliveryId).sort()).toEqual([...ids].sort());
    expect(commits.length).toBeLessThan(48);
    expect(Math.max(...commits.map((e) => e.completions.length))).toBeGreaterThan(1);
    for (const c of completions) {
      expect(c.at - c.finishedAt).toBeGreaterThanOrEqual(0);
      expect(c.at - c.finishedAt).toBeLessThanOrEqual(5);
    }
    // The last attempt to finish had nothing running beside it: committed at once.
    const last = completions.at(-1) as (typeof completions)[number];
    expect(last.at).toBe(last.finishedAt);
    for (const id of ids) expect(listAttempts(db, id)).toHaveLength(1);
    close();
  });
});

describe("engine: rate limits", () => {
  it("an endpoint waiting for tokens keeps its rows leased: none released, none claimed twice", async () => {
    const { db, other, close } = twoConnections();
    const clock = discreteClock();
    const t0 = clock.now();
    seedEndpoint(db, { id: "ep_slow", name: "slow", url, ratePerSecond: 10, createdAt: t0 });
    // Claimed first (due earlier), then parked for up to 1.1 s: longer than a lease (300 + 200 ms).
    const slow = seedDeliveries(db, { url, now: t0 - 1, count: 12, endpointId: "ep_slow", timeoutMs: 300 });
    const free = seedDeliveries(db, { url, now: t0, count: 60, timeoutMs: 300 });
    const fake = fakeAttempts(clock, () => ({ status: 200, ms: 25 }));
    const store = new RecordingStore(new SqliteEngineStore(db), clock);
    const lapses: string[] = [];
    // Checked as each renewal starts: no lease lapsed since the previous one.
    store.onRenew = () => {
      const tokens = new Set(store.exchanges.map((e) => e.claimToken));
      for (const id of slow) {
        if (fake.ids().has(id)) continue;
        const row = getDelivery(other, id);
        const held =
          row?.status === "in_flight" &&
          tokens.has(row.leaseToken ?? "") &&
          (row.leaseExpiresAt as number) > clock.now();
        if (!held) lapses.push(`${id} at +${clock.now() - t0}`);
      }
    };
    const result = await runEngine(store, clock, fake.attempt, {
      concurrency: 4,
      leaseMarginMs: 200,
      rateLimited: true,
    });

    expect(result).toMatchObject({ outcome: "done", succeeded: 72, attempts: 72, lost: 0 });
    expect(store.renewals.length).toBeGreaterThan(5);
    expect(lapses).toEqual([]);
    expect(store.exchanges.flatMap((e) => e.releases)).toEqual([]);
    const claims = store.claimCounts();
    expect(claims.size).toBe(72);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    expect(fake.calls).toHaveLength(72);
    const starts = fake.calls.filter((c) => slow.includes(c.deliveryId)).map((c) => c.startedAt - t0);
    expect(starts).toEqual(Array.from({ length: 12 }, (_, i) => i * 100));
    for (const id of [...slow, ...free]) expect(listAttempts(db, id)).toHaveLength(1);
    close();
  });
});

describe("engine: leases", () => {
  it("a stale holder's completion is refused by the port: the newer holder's record stands", async () => {
    const { db, other, close } = twoConnections();
    const t0 = Date.UTC(2026, 0, 1);
    const [id] = seedDeliveries(db, { url, now: t0, timeoutMs: 1000 }) as [string];
    const a = new SqliteEngineStore(db);
    const b = new SqliteEngineStore(other);
    const claim = (token: string) => ({ token, limit: 10, marginMs: 200, exclude: [], scope: undefined });
    const none = { completions: [], releases: [] };

    const taken = await a.exchange({ now: t0, ...none, claim: claim("lease-a") });
    expect(taken.work.map((w) => w.delivery.id)).toEqual([id]);
    // A stalls past its lease (timeout 1000 + margin 200); B finds it lapsed and delivers it.
    expect(await b.reclaimExpired(t0 + 1199)).toBe(0);
    expect(await b.reclaimExpired(t0 + 1200)).toBe(1);
    const retaken = await b.exchange({ now: t0 + 1200, ...none, claim: claim("lease-b") });
    expect(retaken.work.map((w) => w.delivery.id)).toEqual([id]);
    const byB = await b.exchange({
      now: t0 + 1300,
      completions: [
        { token: "lease-b", attempt: attemptRecord(id, 201, t0 + 1250), next: { status: "succeeded" } },
      ],
      releases: [],
    });
    expect(byB.recorded).toEqual([true]);

    // A wakes up: its record, its renewal and its release all come to nothing.
    const byA = await a.exchange({
      now: t0 + 1400,
      completions: [
        { token: "lease-a", attempt: attemptRecord(id, 200, t0 + 10), next: { status: "succeeded" } },
      ],
      releases: [{ id, token: "lease-a" }],
    });
    expect(byA.recorded).toEqual([false]);
    expect(await a.renew(["lease-a"], t0 + 1400, 200)).toEqual([]);
    expect(listAttempts(db, id).map((r) => [r.statusCode, r.startedAt])).toEqual([[201, t0 + 1250]]);
    expect(getDelivery(db, id)).toMatchObject({ status: "succeeded", attemptCount: 1, leaseToken: null });
    close();
  });

  it("the engine reports an attempt whose lease was taken over as lost, and records nothing of it", async () => {
    const { db, other, close, clock } = stillLog();
    const [id] = seedDeliveries(db, { url, now: clock.now(), timeoutMs: 1000 }) as [string];
    const fake = gatedAttempts(clock, [id]);
    const events: SchedulerEvent[] = [];
    const run = runEngine(new SqliteEngineStore(db), clock, fake.attempt, {
      leaseMarginMs: 200,
      onEvent: (e) => events.push(e),
    });
    await waitFor(() => (fake.calls.length === 1 ? true : undefined), 10_000, "the attempt to start");

    // This engine stalled (time stood still for it); another process reclaims and delivers.
    const later = clock.now() + 60_000;
    const b = new SqliteEngineStore(other);
    expect(await b.reclaimExpired(later)).toBe(1);
    const none = { completions: [], releases: [] };
    const claim = { token: "lease-b", limit: 1, marginMs: 200, exclude: [], scope: undefined };
    expect((await b.exchange({ now: later, ...none, claim })).work).toHaveLength(1);
    const completion = {
      token: "lease-b",
      attempt: attemptRecord(id, 201, later),
      next: { status: "succeeded" } as const,
    };
    expect((await b.exchange({ now: later + 10, completions: [completion], releases: [] })).recorded).toEqual(
      [true],
    );

    fake.finishAll();
    clock.release();
    const result = await run;
    expect(result).toMatchObject({ outcome: "done", lost: 1, succeeded: 0, attempts: 1 });
    const finished = events.filter((e) => e.type === "attempt-finished");
    expect(finished).toMatchObject([
      { deliveryId: id, result: "lost", statusCode: 200, nextAttemptAt: null },
    ]);
    expect(events.some((e) => e.type === "delivery-succeeded")).toBe(false);
    expect(listAttempts(db, id).map((r) => r.statusCode)).toEqual([201]);
    close();
  });

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
  it("delivers everything, retries included, exactly as over a same-turn port", async () => {
    const { db, close } = twoConnections();
    const clock = discreteClock();
    const t0 = clock.now();
    seedEndpoint(db, { id: "ep_slow", name: "slow", url, ratePerSecond: 20, concurrency: 2, createdAt: t0 });
    const policy = { initialMs: 50, jitter: 0 };
    const plain = seedDeliveries(db, { url, now: t0, count: 30, timeoutMs: 500, policy });
    const limited = seedDeliveries(db, {
      url,
      now: t0,
      count: 10,
      timeoutMs: 500,
      policy,
      endpointId: "ep_slow",
    });
    const ids = [...plain, ...limited];
    // Every third delivery fails once, then succeeds on its retry 50 ms later.
    const failsOnce = new Set(ids.filter((_, i) => i % 3 === 0));
    const fake = fakeAttempts(clock, (id, n) => ({
      status: failsOnce.has(id) && n === 1 ? 500 : 200,
      ms: 3 + (n % 4),
    }));
    const store = new RecordingStore(new SqliteEngineStore(db), clock, "turn");
    const events: SchedulerEvent[] = [];
    const result = await runEngine(store, clock, fake.attempt, {
      concurrency: 4,
      leaseMarginMs: 200,
      rateLimited: true,
      onEvent: (e) => events.push(e),
    });

    const attempts = ids.length + failsOnce.size;
    expect(result).toMatchObject({ outcome: "done", succeeded: ids.length, dead: 0, attempts, lost: 0 });
    expect(fake.calls).toHaveLength(attempts);
    expect(fake.maxOverlap()).toBe(1);
    for (const id of ids) {
      const expected = failsOnce.has(id) ? [500, 200] : [200];
      const rows = listAttempts(db, id);
      expect(rows.map((r) => r.statusCode)).toEqual(expected);
      expect(rows.map((r) => r.number)).toEqual(expected.map((_, i) => i + 1));
      expect(getDelivery(db, id)).toMatchObject({ status: "succeeded", leaseToken: null });
    }
    const finished = events.filter((e) => e.type === "attempt-finished");
    expect(finished.filter((e) => e.result === "retry")).toHaveLength(failsOnce.size);
    expect(store.exchanges.flatMap((e) => e.releases)).toEqual([]);
    close();
  });

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
