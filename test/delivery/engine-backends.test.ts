import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Engine } from "../../src/delivery/engine/engine.js";
import type { SchedulerEvent } from "../../src/delivery/engine/events.js";
import { LogSource } from "../../src/delivery/engine/log-source.js";
import type { AttemptFn } from "../../src/delivery/types.js";
import { waitFor } from "../helpers/bin.js";
import { postgresBackend, sqliteBackend } from "../helpers/engine-backends.js";
import {
  attemptOutcome,
  attemptRecord,
  discreteClock,
  engineDeps,
  fakeAttempts,
  gatedAttempts,
  RecordingStore,
  runEngine,
} from "../helpers/engine-kit.js";
import { postgresForFile } from "../helpers/pg.js";
import { realSleep } from "../helpers/scheduler-kit.js";

/**
 * The engine's behaviour tests (engine.test.ts) that need no SQLite-only tool, run on both
 * backends. Every store call is wrapped so that virtual time stands still while it is on its way
 * (RecordingStore "turn"): a PostgreSQL answer arrives on a later turn of the event loop.
 */
const pg = postgresForFile();
const url = "http://127.0.0.1:9/hook";

describe.each([sqliteBackend(), postgresBackend(pg)])("engine on $name", (backend) => {
  it("group commit: finished attempts written in batches, each within the commit window of its finish", async () => {
    const log = await backend.open();
    const clock = discreteClock();
    const ids = await log.seed({ url, now: clock.now(), count: 48, timeoutMs: 1000 });
    const fake = fakeAttempts(clock, (id) => ({ status: 200, ms: 1 + (ids.indexOf(id) % 5) * 3 }));
    const store = new RecordingStore(await log.store(), clock, "turn");
    const unseen: Promise<string | undefined>[] = [];
    const onEvent = (event: SchedulerEvent) => {
      if (event.type !== "attempt-finished") return;
      // The log (read on another connection) must already hold the record the engine reports.
      const { deliveryId, attempt } = event;
      unseen.push(
        Promise.all([log.attempts(deliveryId), log.delivery(deliveryId)]).then(([rows, row]) =>
          rows.length === attempt && row?.status === "succeeded" ? undefined : deliveryId,
        ),
      );
    };
    const result = await runEngine(store, clock, fake.attempt, {
      concurrency: 8,
      commitWindowMs: 5,
      onEvent,
    });

    expect(result).toMatchObject({ outcome: "done", succeeded: 48, attempts: 48, lost: 0 });
    expect((await Promise.all(unseen)).filter((id) => id !== undefined)).toEqual([]);
    const commits = store.exchanges.filter((e) => e.completions.length > 0);
    const completions = commits.flatMap((e) => e.completions.map((c) => ({ ...c, at: e.at })));
    expect(completions.map((c) => c.deliveryId).sort()).toEqual([...ids].sort());
    expect(commits.length).toBeLessThan(48);
    for (const c of completions) {
      expect(c.at - c.finishedAt).toBeGreaterThanOrEqual(0);
      expect(c.at - c.finishedAt).toBeLessThanOrEqual(5);
    }
    for (const id of ids) expect(await log.attempts(id)).toHaveLength(1);
  });

  it("rate limits: an endpoint waiting for tokens keeps its rows leased, none released, none claimed twice", async () => {
    const log = await backend.open();
    const clock = discreteClock();
    const t0 = clock.now();
    await log.seedEndpoint({ id: "ep_slow", name: "slow", url, ratePerSecond: 10, createdAt: t0 });
    // Claimed first (due earlier), then parked for up to 1.1 s: longer than a lease (300 + 200 ms).
    const slow = await log.seed({ url, now: t0 - 1, count: 12, endpointId: "ep_slow", timeoutMs: 300 });
    const free = await log.seed({ url, now: t0, count: 60, timeoutMs: 300 });
    const fake = fakeAttempts(clock, () => ({ status: 200, ms: 25 }));
    const store = new RecordingStore(await log.store(), clock, "turn");
    const checks: Promise<string | undefined>[] = [];
    // Tokens as claims are sent: one still on its way may hold rows by the time a check reads them.
    const tokens = new Set<string | undefined>();
    store.onExchange = (request) => tokens.add(request.claim?.token);
    // Checked as each renewal starts: no lease lapsed since the previous one.
    store.onRenew = () => {
      const at = clock.now();
      for (const id of slow) {
        if (fake.ids().has(id)) continue;
        checks.push(
          log.delivery(id).then((row) => {
            const held =
              row?.status !== "in_flight" ||
              (tokens.has(row.leaseToken ?? "") && (row.leaseExpiresAt as number) > at);
            return held ? undefined : `${id} at +${at - t0}`;
          }),
        );
      }
    };
    const result = await runEngine(store, clock, fake.attempt, {
      concurrency: 4,
      leaseMarginMs: 200,
      rateLimited: true,
    });

    expect(result).toMatchObject({ outcome: "done", succeeded: 72, attempts: 72, lost: 0 });
    expect(store.renewals.length).toBeGreaterThan(5);
    expect((await Promise.all(checks)).filter((lapse) => lapse !== undefined)).toEqual([]);
    expect(store.exchanges.flatMap((e) => e.releases)).toEqual([]);
    const claims = store.claimCounts();
    expect(claims.size).toBe(72);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    const starts = fake.calls.filter((c) => slow.includes(c.deliveryId)).map((c) => c.startedAt - t0);
    // PostgreSQL spends the endpoint's shared tokens as it claims: spaced at least as far apart.
    if (backend.name === "sqlite") expect(starts).toEqual(Array.from({ length: 12 }, (_, i) => i * 100));
    else expect(starts.slice(1).filter((s, i) => s - (starts[i] as number) < 100)).toEqual([]);
    for (const id of [...slow, ...free]) expect(await log.attempts(id)).toHaveLength(1);
  });

  it("delivers everything, retries and a limited endpoint included, over a port that answers later", async () => {
    const log = await backend.open();
    const clock = discreteClock();
    const t0 = clock.now();
    await log.seedEndpoint({
      id: "ep_slow",
      name: "slow",
      url,
      ratePerSecond: 20,
      concurrency: 2,
      createdAt: t0,
    });
    const policy = { initialMs: 50, jitter: 0 };
    const plain = await log.seed({ url, now: t0, count: 30, timeoutMs: 500, policy });
    const limited = await log.seed({
      url,
      now: t0,
      count: 10,
      timeoutMs: 500,
      policy,
      endpointId: "ep_slow",
    });
    const ids = [...plain, ...limited];
    const failsOnce = new Set(ids.filter((_, i) => i % 3 === 0));
    const fake = fakeAttempts(clock, (id, n) => ({
      status: failsOnce.has(id) && n === 1 ? 500 : 200,
      ms: 3 + (n % 4),
    }));
    const store = new RecordingStore(await log.store(), clock, "turn");
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
      const rows = await log.attempts(id);
      expect(rows.map((r) => r.statusCode)).toEqual(expected);
      expect(rows.map((r) => r.number)).toEqual(expected.map((_, i) => i + 1));
      expect(await log.delivery(id)).toMatchObject({ status: "succeeded", leaseToken: null });
    }
    expect(events.filter((e) => e.type === "attempt-finished" && e.result === "retry")).toHaveLength(
      failsOnce.size,
    );
    expect(clock.spins()).toBe(0);
  });

  it("a stale holder's completion, renewal and release are refused by the port: the newer holder's record stands", async () => {
    const log = await backend.open();
    const t0 = Date.UTC(2026, 0, 1);
    const [id] = (await log.seed({ url, now: t0, timeoutMs: 1000 })) as [string];
    const a = await log.store();
    const b = await log.store();
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
    expect((await log.attempts(id)).map((r) => [r.statusCode, r.startedAt])).toEqual([[201, t0 + 1250]]);
    expect(await log.delivery(id)).toMatchObject({ status: "succeeded", attemptCount: 1, leaseToken: null });
  });

  it("reports an attempt whose lease was taken over as lost, and records nothing of it", async () => {
    const log = await backend.open();
    const clock = discreteClock();
    clock.hold();
    const [id] = (await log.seed({ url, now: clock.now(), timeoutMs: 1000 })) as [string];
    const fake = gatedAttempts(clock, [id]);
    const events: SchedulerEvent[] = [];
    const run = runEngine(new RecordingStore(await log.store(), clock, "turn"), clock, fake.attempt, {
      leaseMarginMs: 200,
      onEvent: (e) => events.push(e),
    });
    await waitFor(() => (fake.calls.length === 1 ? true : undefined), 10_000, "the attempt to start");

    // This engine stalled (time stood still for it); another process reclaims and delivers.
    const later = clock.now() + 60_000;
    const b = await log.store();
    expect(await b.reclaimExpired(later)).toBe(1);
    const claim = { token: "lease-b", limit: 1, marginMs: 200, exclude: [], scope: undefined };
    expect((await b.exchange({ now: later, completions: [], releases: [], claim })).work).toHaveLength(1);
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
    expect(events.filter((e) => e.type === "attempt-finished")).toMatchObject([
      { deliveryId: id, result: "lost", statusCode: 200, nextAttemptAt: null },
    ]);
    expect((await log.attempts(id)).map((r) => r.statusCode)).toEqual([201]);
  });

  // Real time: the two engines' calls interleave as two processes' would.
  it("two engines on one log deliver every delivery once while both are healthy", async () => {
    const log = await backend.open();
    const count = 400;
    const ids = await log.seed({ url, now: Date.now(), count, timeoutMs: 5000 });
    const made = new Map<string, number>();
    const engine = async (name: string) => {
      let attempts = 0;
      const attempt: AttemptFn = async (request) => {
        const id = request.headers["X-Webhook-Delivery-ID"] as string;
        made.set(id, (made.get(id) ?? 0) + 1);
        attempts++;
        const startedAt = Date.now();
        await new Promise((resolve) => setImmediate(resolve));
        return attemptOutcome(200, startedAt, Date.now() - startedAt);
      };
      const store = await log.store();
      const deps = { ...engineDeps(store, discreteClock(), attempt), now: Date.now, sleep: realSleep };
      deps.newToken = () => `${name}-${randomUUID()}`;
      const result = await new Engine(deps, new LogSource(store), { concurrency: 8 }).run();
      return { result, attempts };
    };
    const [a, b] = await Promise.all([engine("a"), engine("b")]);

    expect(a.result.succeeded + b.result.succeeded).toBe(count);
    expect(a.result.lost + b.result.lost).toBe(0);
    expect(a.attempts).toBeGreaterThan(0);
    expect(b.attempts).toBeGreaterThan(0);
    expect([...made.values()].filter((n) => n !== 1)).toEqual([]);
    expect(made.size).toBe(count);
    for (const id of ids) expect(await log.attempts(id)).toHaveLength(1);
  });

  it("a claim of named rows takes those still pending, whenever due, and refuses the rest", async () => {
    const log = await backend.open();
    const t0 = Date.UTC(2026, 0, 1);
    const [later, finished] = (await log.seed({ url, now: t0 + 60_000, count: 2 })) as [string, string];
    const store = await log.store();
    const none = { completions: [], releases: [] };
    const claim = (token: string, ids: string[]) => ({
      token,
      limit: 10,
      marginMs: 200,
      exclude: [],
      scope: undefined,
      ids,
    });
    const first = await store.exchange({ now: t0, ...none, claim: claim("one", [finished]) });
    await store.exchange({
      now: t0 + 5,
      completions: [
        { token: "one", attempt: attemptRecord(finished, 200, t0), next: { status: "succeeded" } },
      ],
      releases: [],
    });
    expect(first.work.map((w) => w.delivery.id)).toEqual([finished]);
    // Not due for a minute yet: named, it is taken now; the finished one is refused.
    const named = await store.exchange({ now: t0 + 10, ...none, claim: claim("two", [later, finished]) });
    expect(named.work.map((w) => w.delivery.id)).toEqual([later]);
    expect(named.refused).toEqual([finished]);
    expect(await log.delivery(later)).toMatchObject({ status: "in_flight", leaseToken: "two" });
  });
});
