import { randomBytes, randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createAttempt } from "../../src/delivery/attempt.js";
import { defaultPolicy } from "../../src/delivery/policy.js";
import { timerSleep } from "../../src/delivery/rate-limit.js";
import {
  type DeliveryOutcome,
  type SendDeps,
  type SendEvent,
  type SendPlan,
  type SendResult,
  sendEvents,
} from "../../src/delivery/send.js";
import type { AttemptFn } from "../../src/delivery/types.js";
import { verify } from "../../src/signing/index.js";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { getEvent } from "../../src/store/events.js";
import { idFactory } from "../../src/store/ids.js";
import { Leases } from "../../src/store/leases.js";
import { type Db, openDb } from "../../src/store/open.js";
import { SqliteEngineStore } from "../../src/store/sqlite-engine.js";
import { waitFor } from "../helpers/bin.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import {
  okReceiver,
  type Receiver,
  refusedUrl,
  startReceiver,
  statusReceiver,
} from "../helpers/receivers.js";
import { virtualClock } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
const opened: Db[] = [];
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  for (const db of opened.splice(0)) db.close();
});

function open(path = tempDb()): Db {
  const db = openDb(path);
  opened.push(db);
  return db;
}

const body = Buffer.from('{"type":"order.created","id":"ord_1"}');

function plan(
  url: string,
  overrides: Partial<SendPlan> = {},
  target: Partial<SendPlan["target"]> = {},
): SendPlan {
  return {
    target: {
      url,
      endpointId: null,
      endpointName: null,
      scheme: "hookctl",
      secrets: null,
      extraHeaders: {},
      timeoutMs: 5000,
      policy: defaultPolicy,
      ...target,
    },
    event: { type: "order.created", body, contentType: "application/json" },
    count: 1,
    duplicate: 1,
    shuffle: false,
    concurrency: 1,
    ratePerSecond: null,
    ...overrides,
  };
}

function deps(db: Db, overrides: Partial<SendDeps> = {}): SendDeps {
  const now = overrides.now ?? (() => Date.now());
  return {
    store: new SqliteEngineStore(db),
    attempt: createAttempt({ now }),
    now,
    random: () => 0.5,
    newId: idFactory(now, (n) => randomBytes(n)),
    newToken: () => randomUUID(),
    randomHex: (n) => randomBytes(n).toString("hex"),
    userAgent: "hookctl/test",
    sleep: timerSleep,
    ...overrides,
  };
}

/** sendEvents, with the outcomes its `delivery` events carried (the run itself keeps none). */
async function send(
  sendPlan: SendPlan,
  sendDeps: SendDeps,
  options: { signal?: AbortSignal; onEvent?: (event: SendEvent) => void } = {},
): Promise<SendResult & { outcomes: DeliveryOutcome[] }> {
  const outcomes: DeliveryOutcome[] = [];
  const result = await sendEvents(sendPlan, sendDeps, {
    ...options,
    onEvent: (event) => {
      if (event.type === "delivery") outcomes.push(event.outcome);
      options.onEvent?.(event);
    },
  });
  return { ...result, outcomes };
}

const idOf = (headers: Record<string, unknown>) => String(headers["x-webhook-delivery-id"]);

describe("sendEvents", () => {
  it("writes the event and delivery before the request leaves, then records the attempt", async () => {
    const path = tempDb();
    const db = open(path);
    const observer = open(path); // another connection, as another process would see the log
    const seenAtArrival: unknown[] = [];
    receiver = await startReceiver((request) => {
      const row = getDelivery(observer, idOf(request.headers));
      seenAtArrival.push({
        status: row?.status,
        body: row && getEvent(observer, row.eventId)?.body.equals(request.body),
      });
      return { status: 200 };
    });
    const result = await send(plan(receiver.url), deps(db));
    expect(seenAtArrival).toEqual([{ status: "in_flight", body: true }]);
    const [outcome] = result.outcomes;
    expect(outcome).toMatchObject({ status: "succeeded", attempts: 1, sends: 1, nextAttemptAt: null });
    expect(getDelivery(db, outcome?.deliveryId as string)).toMatchObject({
      status: "succeeded",
      attemptCount: 1,
    });
    expect(listAttempts(db, outcome?.deliveryId as string)).toMatchObject([
      { number: 1, trigger: "initial", statusCode: 200 },
    ]);
  });

  it("a failure leaves the delivery pending with the retry the policy scheduled", async () => {
    const db = open();
    const now = Date.UTC(2026, 0, 15, 12, 3, 3);
    const result = await send(plan(await refusedUrl()), deps(db, { now: () => now }));
    const [outcome] = result.outcomes;
    expect(outcome).toMatchObject({ status: "pending", nextRetry: 1, nextAttemptAt: now + 1000 });
    expect(outcome?.lastAttempt).toMatchObject({ errorClass: "refused", statusCode: null });
    expect(getDelivery(db, outcome?.deliveryId as string)).toMatchObject({
      status: "pending",
      nextAttemptAt: now + 1000,
      lastErrorClass: "refused",
    });
    expect(result.histogram).toEqual({ refused: 1 });
  });

  it("--count with --concurrency: distinct events and deliveries, at most C in flight, all recorded", async () => {
    const db = open();
    receiver = await startReceiver({ status: 200, delayMs: 20 });
    const events: SendEvent[] = [];
    const result = await send(plan(receiver.url, { count: 24, concurrency: 4 }), deps(db), {
      onEvent: (event) => events.push(event),
    });
    const ids = new Set(receiver.requests.map((r) => idOf(r.headers)));
    expect(ids.size).toBe(24);
    expect(receiver.maxInFlight()).toBeLessThanOrEqual(4);
    expect(receiver.maxInFlight()).toBeGreaterThan(1);
    expect(result.attempts).toBe(24);
    expect(result.histogram).toEqual({ 200: 24 });
    expect(result.latency?.count).toBe(24);
    expect(
      db.prepare("SELECT COUNT(DISTINCT event_id) FROM deliveries WHERE status = 'succeeded'").pluck().get(),
    ).toBe(24);
    expect(db.prepare("SELECT COUNT(*) FROM attempts").pluck().get()).toBe(24);
    expect(events[0]).toMatchObject({ type: "persisted", events: 24, total: 24 });
    expect(events.filter((e) => e.type === "delivery")).toHaveLength(24);
  });

  it("--duplicate sends one delivery id N times, never overlapping, each copy recorded", async () => {
    const db = open();
    const active = new Map<string, number>();
    let overlap = 0;
    receiver = await startReceiver(async (request) => {
      const id = idOf(request.headers);
      active.set(id, (active.get(id) ?? 0) + 1);
      overlap = Math.max(overlap, active.get(id) ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active.set(id, (active.get(id) ?? 1) - 1);
      return { status: 200 };
    });
    let r = 0;
    const random = () => [0.9, 0.1, 0.5, 0.7, 0.3][r++ % 5] as number;
    const result = await send(
      plan(receiver.url, { count: 2, duplicate: 3, shuffle: true, concurrency: 4 }),
      deps(db, { random }),
    );
    const order = receiver.requests.map((request) => idOf(request.headers));
    expect(order).toHaveLength(6);
    expect(overlap).toBe(1);
    for (const outcome of result.outcomes) {
      expect(order.filter((id) => id === outcome.deliveryId)).toHaveLength(3);
      expect(outcome).toMatchObject({ status: "succeeded", sends: 3, attempts: 3 });
      expect(listAttempts(db, outcome.deliveryId).map((a) => a.trigger)).toEqual([
        "initial",
        "manual",
        "manual",
      ]);
    }
  });

  it("--duplicate: a copy another process holds is skipped under its own copy number, not sent", async () => {
    const path = tempDb();
    const db = open(path);
    const other = new Leases(open(path));
    receiver = await okReceiver();
    const store = new SqliteEngineStore(db);
    // Just before copy 2 is reopened, another process (a replay) holds the delivery.
    const exchange = store.exchange.bind(store);
    store.exchange = (request) => {
      for (const id of request.again?.ids ?? []) {
        db.prepare("UPDATE deliveries SET status = 'pending' WHERE id = ?").run(id);
        other.claimById(id, { now: Date.now(), leaseMs: 60_000, token: "replay-elsewhere" });
      }
      return exchange(request);
    };
    const events: SendEvent[] = [];
    const result = await send(plan(receiver.url, { duplicate: 3 }), deps(db, { store }), {
      onEvent: (event) => events.push(event),
    });
    expect(receiver.requests).toHaveLength(1);
    // Copies 2 and 3 both find it held elsewhere; each is skipped under its own number.
    expect(events.filter((e) => e.type === "skipped").map((e) => e.copy)).toEqual([2, 3]);
    expect(result.outcomes[0]).toMatchObject({ sends: 1, skipped: 2 });
    expect(result.notStarted).toBe(0);
  });

  it("--shuffle interleaves copies of different deliveries", async () => {
    const db = open();
    receiver = await okReceiver();
    let r = 0;
    const random = () => [0.1, 0.9, 0.2, 0.8, 0.4][r++ % 5] as number;
    const result = await send(
      plan(receiver.url, { count: 2, duplicate: 3, shuffle: true }),
      deps(db, { random }),
    );
    const [a, b] = result.outcomes.map((o) => o.deliveryId);
    const order = receiver.requests.map((request) =>
      idOf(request.headers) === a ? "a" : idOf(request.headers) === b ? "b" : "?",
    );
    expect(order.join("")).not.toMatch(/^(aaabbb|bbbaaa)$/);
    expect(order.sort().join("")).toBe("aaabbb");
  });

  it("without --shuffle, each delivery's copies go back to back", async () => {
    const db = open();
    receiver = await okReceiver();
    await send(plan(receiver.url, { count: 2, duplicate: 2 }), deps(db));
    const order = receiver.requests.map((request) => idOf(request.headers));
    expect(order[0]).toBe(order[1]);
    expect(order[2]).toBe(order[3]);
    expect(order[0]).not.toBe(order[2]);
  });

  it("--rate spaces sends on the injected clock", async () => {
    const db = open();
    receiver = await okReceiver();
    const clock = virtualClock();
    const result = await send(
      plan(receiver.url, { count: 5, ratePerSecond: 10 }),
      deps(db, {
        now: clock.now,
        sleep: clock.sleep,
        attempt: clock.track(createAttempt({ now: clock.now })),
      }),
    );
    expect(result.tally.succeeded).toBe(5);
    const starts = db.prepare("SELECT started_at FROM attempts ORDER BY id").pluck().all() as number[];
    expect(starts.map((s) => s - (starts[0] as number))).toEqual([0, 100, 200, 300, 400]);
  });

  it("an interrupted run finishes what is in flight; the rest stays pending for replay", async () => {
    const db = open();
    const controller = new AbortController();
    receiver = await startReceiver(() => {
      controller.abort();
      return { status: 200, delayMs: 20 };
    });
    const result = await send(plan(receiver.url, { count: 5 }), deps(db), {
      signal: controller.signal,
    });
    expect(result).toMatchObject({ interrupted: true, notStarted: 4, attempts: 1 });
    expect(receiver.requests).toHaveLength(1);
    const counts = db
      .prepare("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status ORDER BY status")
      .all();
    expect(counts).toEqual([
      { status: "pending", n: 4 },
      { status: "succeeded", n: 1 },
    ]);
  });

  it("endpoint deliveries store no secrets and sign with the endpoint's secrets at attempt time", async () => {
    const db = open();
    receiver = await okReceiver();
    seedEndpoint(db, { id: "ep_1", name: "orders", url: receiver.url, scheme: "github", createdAt: 0 }, [
      "endpoint-secret",
    ]);
    const result = await send(
      plan(receiver.url, {}, { endpointId: "ep_1", endpointName: "orders", scheme: "github", secrets: null }),
      deps(db),
    );
    const id = result.outcomes[0]?.deliveryId as string;
    expect(getDelivery(db, id)).toMatchObject({ secrets: null, endpointId: "ep_1" });
    const headers = Object.fromEntries(
      Object.entries(receiver.requests[0]?.headers ?? {}).map(([k, v]) => [k, String(v)]),
    );
    const check = verify({
      scheme: "github",
      body,
      headers,
      secrets: ["endpoint-secret"],
      toleranceSeconds: 0,
      nowSeconds: 0,
    });
    expect(check.outcome).toBe("valid");
  });

  it("a log that stays locked ends the run with the error; every event and delivery is still there", async () => {
    const path = tempDb();
    const db = openDb(path, { busyTimeoutMs: 50 });
    opened.push(db);
    const holder = open(path);
    receiver = await startReceiver(() => {
      // Another process takes the write lock and keeps it: the next batch cannot be written.
      if (!holder.inTransaction) holder.exec("BEGIN IMMEDIATE");
      return { status: 200 };
    });
    const run = send(plan(receiver.url, { count: 40, concurrency: 2 }), deps(db));
    await expect(run).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    holder.exec("ROLLBACK");
    const count = (sql: string) => db.prepare(sql).pluck().get();
    expect(count("SELECT COUNT(*) FROM events")).toBe(40);
    expect(count("SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'in_flight')")).toBe(40);
    // Persisted leased to the run (sent, or not yet); none is recorded, so once the lease lapses
    // replay sends them again.
    expect(count("SELECT COUNT(*) FROM deliveries WHERE status = 'in_flight'")).toBe(40);
    expect(count("SELECT COUNT(*) FROM attempts")).toBe(0);
  });

  it("renews the run's leases on the injected clock while an attempt runs past half the margin", async () => {
    const path = tempDb();
    const db = open(path);
    const reader = open(path);
    const clock = virtualClock();
    const t0 = clock.now();
    let finish: (() => void) | undefined;
    // An attempt that lasts until the test ends it; meanwhile the virtual clock runs on.
    const attempt: AttemptFn = () =>
      new Promise((resolve) => {
        finish = () =>
          resolve({
            startedAt: t0,
            durationMs: 1,
            statusCode: 200,
            responseHeaders: {},
            responseBody: null,
            responseTruncated: false,
            errorClass: null,
            errorMessage: null,
          });
      });
    const run = send(
      plan("http://127.0.0.1:9/", {}, { timeoutMs: 3000 }),
      deps(db, { now: clock.now, sleep: clock.sleep, attempt, leaseMarginMs: 1000 }),
    );
    const lease = () => reader.prepare("SELECT lease_expires_at FROM deliveries").pluck().get() as number;
    // Claimed with a lease of timeout + margin; renewed every half margin from then on.
    await waitFor(() => (lease() >= t0 + 3000 + 1000 + 2000 ? true : undefined), 10_000, "renewals");
    finish?.();
    const result = await run;
    expect(result.tally.succeeded).toBe(1);
    expect(getDelivery(db, result.outcomes[0]?.deliveryId as string)?.status).toBe("succeeded");
  });

  it("5xx answers count in the histogram by status code", async () => {
    const db = open();
    receiver = await statusReceiver(503);
    const result = await send(plan(receiver.url, { count: 3, concurrency: 3 }), deps(db));
    expect(result.histogram).toEqual({ 503: 3 });
    expect(result.outcomes.every((o) => o.status === "pending" && o.nextRetry === 1)).toBe(true);
  });
});
