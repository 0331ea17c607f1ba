import { afterEach, describe, expect, it } from "vitest";
import { baseDelay, defaultPolicy } from "../../src/delivery/policy.js";
import { TokenBucket } from "../../src/delivery/rate-limit.js";
import { runScheduler, type SchedulerEvent } from "../../src/delivery/scheduler.js";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { waitFor } from "../helpers/bin.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { realSleep, schedulerDeps, seedDeliveries, virtualClock } from "../helpers/scheduler-kit.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("runScheduler with an injected clock", () => {
  it("fails 3 times then succeeds: exactly 4 attempts, each at its scheduled instant", async () => {
    receiver = await startScriptedReceiver((_hit, n) => ({ status: n <= 3 ? 500 : 200 }));
    const db = openDb(tempDb());
    const clock = virtualClock();
    const t0 = clock.now();
    const [id] = seedDeliveries(db, { url: receiver.url, now: t0 });
    const events: SchedulerEvent[] = [];
    const result = await runScheduler(schedulerDeps(db, clock), { onEvent: (e) => events.push(e) });

    expect(result).toMatchObject({ outcome: "done", succeeded: 1, dead: 0, attempts: 4 });
    const attempts = listAttempts(db, id as string);
    const expected = [t0, t0 + 1000];
    expected.push((expected[1] as number) + Math.round(baseDelay(defaultPolicy, 2)));
    expected.push((expected[2] as number) + Math.round(baseDelay(defaultPolicy, 3)));
    expect(attempts.map((a) => a.startedAt)).toEqual(expected);
    expect(attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
    expect(attempts.map((a) => a.trigger)).toEqual(["initial", "scheduled", "scheduled", "scheduled"]);
    expect(receiver.count(id as string)).toBe(4);
    expect(getDelivery(db, id as string)).toMatchObject({ status: "succeeded", attemptCount: 4 });
    // Between attempts the scheduler said it was idle until exactly the next scheduled instant.
    const idles = events.filter((e) => e.type === "idle").map((e) => (e as { until: number | null }).until);
    expect(idles).toEqual(expected.slice(1));
    db.close();
  });

  it("always failing: dead after 11 attempts (the first plus 10 retries), about 100 minutes later", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 503 }));
    const db = openDb(tempDb());
    const clock = virtualClock();
    const t0 = clock.now();
    const [id] = seedDeliveries(db, { url: receiver.url, now: t0 });
    const events: SchedulerEvent[] = [];
    const result = await runScheduler(schedulerDeps(db, clock), { onEvent: (e) => events.push(e) });

    expect(result).toMatchObject({ outcome: "done", succeeded: 0, dead: 1, attempts: 11 });
    expect(receiver.count(id as string)).toBe(11);
    const delivery = getDelivery(db, id as string);
    expect(delivery).toMatchObject({
      status: "dead",
      attemptCount: 11,
      nextAttemptAt: null,
      lastStatusCode: 503,
    });
    const elapsedMin = (clock.now() - t0) / 60_000;
    expect(elapsedMin).toBeGreaterThan(95);
    expect(elapsedMin).toBeLessThan(110);
    expect(events.find((e) => e.type === "delivery-dead")).toMatchObject({
      reason: "exhausted",
      attempts: 11,
    });
    db.close();
  });

  it("honours Retry-After: the retry waits as long as the receiver asked, not the 1 s backoff", async () => {
    receiver = await startScriptedReceiver((_hit, n) =>
      n === 1 ? { status: 429, headers: { "Retry-After": "120" } } : { status: 200 },
    );
    const db = openDb(tempDb());
    const clock = virtualClock();
    const t0 = clock.now();
    const [id] = seedDeliveries(db, { url: receiver.url, now: t0 });
    await runScheduler(schedulerDeps(db, clock));
    expect(listAttempts(db, id as string).map((a) => a.startedAt - t0)).toEqual([0, 120_000]);
    db.close();
  });

  it("410 Gone is dead at once, with no retry", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 410 }));
    const db = openDb(tempDb());
    const clock = virtualClock();
    const [id] = seedDeliveries(db, { url: receiver.url, now: clock.now() });
    const result = await runScheduler(schedulerDeps(db, clock));
    expect(result).toMatchObject({ dead: 1, attempts: 1 });
    expect(getDelivery(db, id as string)?.status).toBe("dead");
    db.close();
  });

  it("replay policy flags override the policy recorded with the delivery", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 500 }));
    const db = openDb(tempDb());
    const clock = virtualClock();
    const t0 = clock.now();
    const [id] = seedDeliveries(db, { url: receiver.url, now: t0, policy: { retries: 10 } });
    const result = await runScheduler(schedulerDeps(db, clock), { policy: { retries: 2, initialMs: 5000 } });
    expect(result).toMatchObject({ dead: 1, attempts: 3 });
    expect(listAttempts(db, id as string)[1]?.startedAt).toBe(t0 + 5000);
    db.close();
  });

  it("a rate limit delays attempts but uses up no retries", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const db = openDb(tempDb());
    const clock = virtualClock();
    const t0 = clock.now();
    seedEndpoint(db, { id: "ep_slow", name: "slow", url: receiver.url, ratePerSecond: 2, createdAt: t0 });
    // No retries at all: had waiting for a token counted as an attempt, these would be dead.
    const ids = seedDeliveries(db, {
      url: receiver.url,
      now: t0,
      count: 6,
      endpointId: "ep_slow",
      policy: { retries: 0 },
    });
    const events: SchedulerEvent[] = [];
    const result = await runScheduler(
      {
        ...schedulerDeps(db, clock),
        rateLimiter: (ratePerSecond) => new TokenBucket({ ratePerSecond, burst: 2, now: clock.now }),
      },
      { onEvent: (e) => events.push(e) },
    );
    expect(result).toMatchObject({ succeeded: 6, dead: 0, attempts: 6 });
    for (const id of ids) expect(getDelivery(db, id)).toMatchObject({ status: "succeeded", attemptCount: 1 });
    const starts = ids.map((id) => listAttempts(db, id)[0]?.startedAt as number).sort((a, b) => a - b);
    // A burst of 2, then one every 500 ms.
    expect(starts.map((t) => t - t0)).toEqual([0, 0, 500, 1000, 1500, 2000]);
    expect(events.some((e) => e.type === "rate-limited")).toBe(true);
    db.close();
  });

  it("an endpoint's concurrency cap holds while other work runs", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200, delayMs: 30 }));
    const db = openDb(tempDb());
    const clock = virtualClock();
    const t0 = clock.now();
    seedEndpoint(db, { id: "ep_one", name: "one", url: receiver.url, concurrency: 1, createdAt: t0 });
    seedDeliveries(db, { url: receiver.url, now: t0, count: 5, endpointId: "ep_one" });
    const result = await runScheduler(schedulerDeps(db, clock), { concurrency: 8 });
    expect(result).toMatchObject({ succeeded: 5, attempts: 5 });
    expect(receiver.maxConcurrent()).toBe(1);
    db.close();
  });

  it("runs deliveries concurrently up to --concurrency", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200, delayMs: 40 }));
    const db = openDb(tempDb());
    const clock = virtualClock();
    seedDeliveries(db, { url: receiver.url, now: clock.now(), count: 12 });
    const result = await runScheduler(schedulerDeps(db, clock), { concurrency: 4 });
    expect(result).toMatchObject({ succeeded: 12 });
    expect(receiver.maxConcurrent()).toBe(4);
    db.close();
  });

  it("watch mode picks up a delivery another connection adds, within about a second", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const path = tempDb();
    const db = openDb(path);
    const clock = { now: () => Date.now(), sleep: realSleep };
    const controller = new AbortController();
    const events: SchedulerEvent[] = [];
    const running = runScheduler(schedulerDeps(db, clock), {
      watch: true,
      signal: controller.signal,
      onEvent: (e) => events.push(e),
    });
    await waitFor(() => (events.some((e) => e.type === "idle") ? true : undefined), 5000, "idle");

    const other = openDb(path);
    const addedAt = Date.now();
    const [id] = seedDeliveries(other, { url: receiver.url, now: addedAt });
    other.close();
    await waitFor(
      () => (getDelivery(db, id as string)?.status === "succeeded" ? true : undefined),
      5000,
      "delivery",
    );
    expect((receiver.hits[0]?.receivedAt as number) - addedAt).toBeLessThan(1500);

    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ outcome: "interrupted", succeeded: 1 });
    db.close();
  });

  it("on abort stops claiming, lets the running attempt finish, and leaves the rest pending", async () => {
    const controller = new AbortController();
    receiver = await startScriptedReceiver(() => {
      controller.abort();
      return { status: 200, delayMs: 50 };
    });
    const db = openDb(tempDb());
    const clock = virtualClock();
    const ids = seedDeliveries(db, { url: receiver.url, now: clock.now(), count: 3 });
    const result = await runScheduler(schedulerDeps(db, clock), {
      concurrency: 1,
      signal: controller.signal,
    });
    expect(result).toMatchObject({ outcome: "interrupted", succeeded: 1, attempts: 1 });
    const statuses = ids.map((id) => getDelivery(db, id)?.status);
    expect(statuses.filter((s) => s === "succeeded")).toHaveLength(1);
    expect(statuses.filter((s) => s === "pending")).toHaveLength(2);
    db.close();
  });
});
