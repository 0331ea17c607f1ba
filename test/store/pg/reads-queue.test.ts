import { randomBytes } from "node:crypto";
import { describe, expect, it, onTestFinished } from "vitest";
import { createAttempt } from "../../../src/delivery/attempt.js";
import { retryNow } from "../../../src/delivery/retry-now.js";
import { Transport } from "../../../src/delivery/transport.js";
import { engineStoreOf, type LogHandle, openLog } from "../../../src/store/log-handle.js";
import { containsClause, pgContainsClause } from "../../../src/store/patterns.js";
import { deliveryReadsOf } from "../../../src/store/ports/deliveries.js";
import { queueStoreOf } from "../../../src/store/ports/queue.js";
import { chunksOfLog, type RequeueResult } from "../../../src/store/queue.js";
import { waitFor } from "../../helpers/bin.js";
import { attemptRecord } from "../../helpers/engine-kit.js";
import { finishOn, masked, scenarioAt, seedOn, t0, writeScenario } from "../../helpers/log-scenario.js";
import { postgresForFile } from "../../helpers/pg.js";
import { pgDelivery, seedPgDeliveries, seedPgEndpoint } from "../../helpers/pg-log.js";
import { okReceiver } from "../../helpers/receivers.js";
import { tempDb } from "../../helpers/tmp.js";

const pg = postgresForFile();

/** A fresh log of each backend, closed after the test. */
const backends: { name: string; target: () => Promise<string> }[] = [
  { name: "sqlite", target: async () => tempDb() },
  { name: "postgres", target: () => pg.database() },
];

async function opened(target: string): Promise<LogHandle> {
  const log = await openLog(target);
  onTestFinished(() => log.close());
  return log;
}

let utf8Databases = 0;

/**
 * A fresh UTF8 database, as production ones are (the test cluster's default is the machine's
 * locale, often SQL_ASCII, where a regex's `.` is one byte, not one character).
 */
async function utf8Database(): Promise<string> {
  const name = `hookctl_utf8_${process.pid}_${++utf8Databases}`;
  const { pool } = await pg.pool(await pg.database());
  await pool.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`);
  return pg.server().url(name);
}

async function bothLogs(): Promise<[LogHandle, LogHandle]> {
  return [await opened(tempDb()), await opened(await utf8Database())];
}

/** Records as JSON with ids and the clock's times masked (the scenario's own times are in 2020). */
const same = (value: unknown) =>
  masked(
    JSON.stringify(value, (_key, v) => (typeof v === "number" && v >= Date.UTC(2021, 0, 1) ? "<now>" : v), 1),
  );

/** What retryNow needs over `log`: real HTTP, the clock, random tokens. */
function retryDeps(log: LogHandle) {
  const hex = (size: number) => randomBytes(size).toString("hex");
  return {
    log,
    attempt: createAttempt({ now: Date.now, transport: new Transport() }),
    now: Date.now,
    random: Math.random,
    newToken: () => hex(16),
    randomHex: hex,
    userAgent: "hookctl-test",
  };
}

describe("DeliveryReads: PostgreSQL reads what SQLite reads", () => {
  it("every read gives the same rows in the same order (ids and clock times masked)", async () => {
    const logs = await bothLogs();
    const scenarios = await Promise.all(logs.map(writeScenario));
    const read = async (log: LogHandle, i: number) => {
      const s = scenarios[i] as Awaited<ReturnType<typeof writeScenario>>;
      const reads = deliveryReadsOf(log);
      const detail = await reads.loadDeliveryDetail(s.dead[0] as string);
      return {
        all: await reads.listDeliveries(),
        limited: await reads.listDeliveries({ limit: 2, status: "dead" }),
        since: await reads.listDeliveries({ since: t0 + 2000 }),
        endpoint: await reads.listDeliveries({ endpointName: "orders" }),
        dead: await reads.listDeadLetters(),
        deadOrders: await reads.listDeadLetters({ endpointName: "orders", eventGlob: "order.*", limit: 5 }),
        old: await reads.listDeadLetters({ olderThan: t0 + 7000 }),
        detail,
        event: await reads.loadEventDetail(detail?.event.id as string, 0),
        getEvent: await reads.getEvent(detail?.event.id as string),
        getDelivery: await reads.getDelivery(s.leased),
        attempts: await reads.listAttempts(s.dead[0] as string),
        counts: await reads.countByStatus(),
        countsOf: await reads.countByStatusOf([s.pending, s.succeeded, ...s.dead, "dlv_nothing"]),
        described: await reads.describeDeliveries([s.succeeded, "dlv_nothing", s.deadBare, s.pending]),
        unknown: [await reads.getDelivery("dlv_nothing"), await reads.loadDeliveryDetail("dlv_nothing")],
      };
    };
    const [sqlite, postgres] = (await Promise.all(logs.map(read))) as [unknown, unknown] as [
      Awaited<ReturnType<typeof read>>,
      Awaited<ReturnType<typeof read>>,
    ];
    expect(sqlite.all).toHaveLength(6);
    expect(sqlite.detail?.secrets).toContain("whsec_scenario_secret_1");
    expect(sqlite.counts).toEqual({ pending: 1, in_flight: 1, succeeded: 1, dead: 3 });
    expect(same(postgres)).toBe(same(sqlite));
  });

  it("event globs mean on PostgreSQL what SQLite's GLOB means (case, ?, classes, literal regex characters)", async () => {
    const logs = await bothLogs();
    const types = [
      "order.created",
      "Order.Created",
      "order.updated",
      "orderXcreated",
      "a+b(c)",
      "a|b",
      "x]y",
      "é.t",
      "a\\b",
      "a$b",
    ];
    for (const log of logs) {
      for (const [i, eventType] of types.entries())
        await seedOn(log, { url: "http://127.0.0.1:9/", now: t0 + i, eventType });
    }
    const globs = [
      "order.*",
      "Order.*",
      "*.created",
      "order?created",
      "order.created",
      "[Oo]rder.*",
      "[^o]*",
      "[]x]*",
      "x[]]y",
      "[a-c]*",
      "a+b(c)",
      "a|b",
      "[",
      "*[",
      "?.t",
      "é*",
      "a\\b",
      "a$b",
      "*",
      "",
      "[!a]*",
    ];
    for (const glob of globs) {
      const [sqlite, postgres] = await Promise.all(
        logs.map(async (log) =>
          (await deliveryReadsOf(log).listDeliveries({ eventGlob: glob }))
            .map((item) => item.eventType)
            .sort(),
        ),
      );
      expect({ glob, types: postgres }).toEqual({ glob, types: sqlite });
    }
  });

  it("a contains filter folds case as SQLite's LIKE does (ASCII only) and takes %, _ and \\ literally", async () => {
    const logs = await bothLogs();
    const types = ["Order.Created", "50%_off", "a\\b", "Élan", "élan", "plain"];
    for (const log of logs) {
      for (const [i, eventType] of types.entries())
        await seedOn(log, { url: "http://127.0.0.1:9/", now: t0 + i, eventType });
    }
    const [sqlite, postgres] = logs as [
      LogHandle & { backend: "sqlite" },
      LogHandle & { backend: "postgres" },
    ];
    for (const text of ["order", "ORDER.c", "%", "_", "0%_", "\\", "élan", "ÉLAN", "é", "x"]) {
      const lite = containsClause(["type"], text);
      const want = sqlite.db
        .prepare(`SELECT type FROM events WHERE ${lite.sql} ORDER BY type`)
        .pluck()
        .all({ like: lite.param }) as string[];
      const clause = pgContainsClause(["type"], text, "$1::text");
      const { rows } = await postgres.pool.query<{ type: string }>(
        `SELECT type FROM events WHERE ${clause.sql}`,
        [clause.value],
      );
      expect({ text, types: rows.map((row) => row.type).sort() }).toEqual({ text, types: [...want].sort() });
    }
  });
});

describe.each(backends)("the queue port on $name", ({ target }) => {
  it("selects into the log, reads it back in order a slice at a time, and requeues it into a scope set the engine runs", async () => {
    const log = await opened(await target());
    const seeded = (await seedOn(log, { url: "http://127.0.0.1:9/", now: t0, count: 4500 })).sort();
    await finishOn(log, seeded.slice(0, 4200), 500, t0 + 10);
    const queue = queueStoreOf(log, { now: () => t0 + 20 });
    const chosen = await queue.selectDeliveryIdsInto({ status: "dead" });
    expect(chosen.length).toBe(4200);
    const read: string[] = [];
    for await (const chunk of chunksOfLog(chosen)) read.push(...chunk);
    expect(read).toEqual(seeded.slice(0, 4200));
    // Out of sequence too, and past the end.
    expect(await chosen.slice(4100, 4105)).toEqual(seeded.slice(4100, 4105));
    expect(await chosen.slice(10, 12)).toEqual(seeded.slice(10, 12));
    expect(await chosen.slice(4199, 5000)).toEqual(seeded.slice(4199, 4200));
    expect(await queue.selectDeliveryIds({ status: "dead", limit: 3 })).toEqual(seeded.slice(0, 3));

    const set = queue.newScopeSet();
    const chunks: RequeueResult[][] = [];
    const summary = await queue.requeueInChunks(
      chosen,
      { now: t0 + 30 },
      (results) => {
        chunks.push(results);
      },
      set,
    );
    expect(summary).toEqual({ requeued: 4200, deliveryIds: [], fresh: 0, skipped: 0 });
    expect(chunks.map((c) => c.length)).toEqual([2000, 2000, 200]);
    expect(chunks[0]?.[0]).toEqual({
      id: seeded[0],
      outcome: "requeued",
      deliveryId: seeded[0],
      previousStatus: "dead",
      url: "http://127.0.0.1:9/",
    });
    const reads = deliveryReadsOf(log);
    expect(await reads.getDelivery(seeded[0] as string)).toMatchObject({
      status: "pending",
      nextTrigger: "manual",
      scheduleAttempts: 0,
      nextAttemptAt: t0 + 30,
      completedAt: null,
    });
    const engine = await engineStoreOf(log);
    expect(await engine.pendingCount(set)).toBe(4200);
    await engine.close?.();
    await queue.close();
    if (log.backend === "postgres") {
      const { rows } = await log.pool.query("SELECT count(*)::int AS n FROM scope_sets");
      expect(rows[0]).toEqual({ n: 0 });
    }
  });

  it("never disturbs a delivery in flight under a live lease; new ids, redirects and unknown ids as SQLite does", async () => {
    const log = await opened(await target());
    const s = await writeScenario(log);
    const queue = queueStoreOf(log);
    onTestFinished(() => queue.close());
    const reads = deliveryReadsOf(log);
    const before = await reads.getDelivery(s.leased);
    let n = 0;
    const results = await queue.requeueDeliveries(
      [s.leased, s.dead[0] as string, "dlv_missing", s.succeeded],
      {
        now: Date.now(),
        to: "http://127.0.0.1:10/elsewhere",
        newId: () => `dlv_FRESH${String(++n).padStart(21, "0")}`,
      },
    );
    expect(results).toEqual([
      { id: s.leased, outcome: "skipped", reason: "leased" },
      {
        id: s.dead[0],
        outcome: "requeued",
        deliveryId: "dlv_FRESH000000000000000000001",
        previousStatus: "dead",
        url: "http://127.0.0.1:10/elsewhere",
      },
      { id: "dlv_missing", outcome: "skipped", reason: "not-found" },
      {
        id: s.succeeded,
        outcome: "requeued",
        deliveryId: "dlv_FRESH000000000000000000002",
        previousStatus: "succeeded",
        url: "http://127.0.0.1:10/elsewhere",
      },
    ]);
    expect(await reads.getDelivery(s.leased)).toEqual(before);
    expect(await reads.getDelivery("dlv_FRESH000000000000000000001")).toMatchObject({
      status: "pending",
      url: "http://127.0.0.1:10/elsewhere",
      endpointId: "ep_orders",
      nextTrigger: "manual",
    });
    expect((await reads.getDelivery(s.dead[0] as string))?.status).toBe("dead");
    expect(await queue.describeDeliveries([s.leased, "dlv_missing"])).toHaveLength(1);
  });

  it("purges dead letters with their attempts and orphaned events, leaving in-flight rows and shared events", async () => {
    const log = await opened(await target());
    const s = await writeScenario(log);
    const queue = queueStoreOf(log);
    onTestFinished(() => queue.close());
    const reads = deliveryReadsOf(log);
    const orderEvent = (await reads.getDelivery(s.dead[0] as string))?.eventId as string;
    const bareEvent = (await reads.getDelivery(s.deadBare))?.eventId as string;
    expect(await queue.purgeDeliveries([s.deadBare, s.leased])).toBe(1);
    expect(await reads.getEvent(bareEvent)).toBeUndefined();
    expect(await reads.getDelivery(s.leased)).toBeDefined();
    // The selection path: both order.created dead letters, whose event the success still holds.
    const chosen = await queue.selectDeliveryIdsInto({ status: "dead" });
    expect(await queue.purgeDeliveries(chosen)).toBe(2);
    expect(await reads.listAttempts(s.dead[0] as string)).toEqual([]);
    expect(await reads.getEvent(orderEvent)).toBeDefined();
    expect(await reads.countByStatus()).toEqual({ pending: 1, in_flight: 1, succeeded: 1, dead: 0 });
  });

  it("retry-now requeues, claims and attempts one delivery at once, and skips one under a live lease", async () => {
    const log = await opened(await target());
    const receiver = await okReceiver();
    onTestFinished(() => receiver.close());
    const [id] = await seedOn(log, { url: receiver.url, now: t0 });
    await finishOn(log, [id as string], 500, t0 + 10);
    const s = await writeScenario(log);
    const deps = retryDeps(log);
    const result = await retryNow(deps, id as string);
    expect(result).toMatchObject({
      outcome: "attempted",
      report: { stale: false, attempt: { statusCode: 200, number: 2, trigger: "manual" } },
    });
    expect(await deliveryReadsOf(log).getDelivery(id as string)).toMatchObject({
      status: "succeeded",
      attemptCount: 2,
    });
    expect(receiver.requests).toHaveLength(1);
    expect(await retryNow(deps, s.leased)).toEqual({ outcome: "skipped", reason: "leased" });
    expect(await retryNow(deps, "dlv_missing")).toEqual({ outcome: "skipped", reason: "not-found" });
  });
});

describe("retry-now on PostgreSQL keeps an endpoint's shared cap", () => {
  it("a delivery of a capped endpoint whose slot is taken is requeued, not sent; once the slot is free it is sent", async () => {
    const { url: at, pool } = await pg.pool();
    const log = await opened(at);
    const receiver = await okReceiver();
    onTestFinished(() => receiver.close());
    const now = Date.now();
    await seedPgEndpoint(pool, {
      id: "ep_capped",
      name: "capped",
      url: receiver.url,
      createdAt: now,
      concurrency: 1,
    });
    const [busy, dead] = (await seedPgDeliveries(pool, {
      url: receiver.url,
      now,
      count: 2,
      endpointId: "ep_capped",
    })) as [string, string];
    await pool.query("UPDATE deliveries SET status = 'dead', next_attempt_at = NULL WHERE id = $1", [dead]);
    // A scheduler holds the endpoint's one slot with the other delivery.
    const store = await engineStoreOf(log);
    onTestFinished(() => store.close?.());
    const claim = { token: "scheduler", limit: 10, marginMs: 60_000, exclude: [], scope: undefined };
    const { work } = await store.exchange({ now, completions: [], releases: [], claim });
    expect(work.map((w) => w.delivery.id)).toEqual([busy]);
    const deps = retryDeps(log);
    expect(await retryNow(deps, dead)).toEqual({ outcome: "skipped", reason: "limited" });
    expect(receiver.requests).toHaveLength(0);
    expect(await pgDelivery(pool, dead)).toMatchObject({ status: "pending", nextTrigger: "manual" });
    // The scheduler's attempt ends: the slot is free, and the operator's retry goes out.
    const done = work[0] as (typeof work)[number];
    await store.exchange({
      now: Date.now(),
      completions: [
        { token: done.token, attempt: attemptRecord(busy, 200, Date.now()), next: { status: "succeeded" } },
      ],
      releases: [],
    });
    expect(await retryNow(deps, dead)).toMatchObject({
      outcome: "attempted",
      report: { stale: false, attempt: { statusCode: 200, trigger: "manual" } },
    });
    expect(receiver.requests).toHaveLength(1);
    expect(await pgDelivery(pool, dead)).toMatchObject({ status: "succeeded" });
  });
});

describe("requeue on PostgreSQL under concurrent claims", () => {
  it("waits for a claim holding the row and then skips it: the lease it committed is live", async () => {
    const url = await pg.database();
    const s = await scenarioAt(url);
    const log = await opened(url);
    const { pool } = log as LogHandle & { backend: "postgres" };
    const claimer = await pool.connect();
    onTestFinished(() => claimer.release());
    const deadId = s.dead[0] as string;
    await claimer.query("BEGIN");
    await claimer.query(
      "UPDATE deliveries SET status = 'in_flight', lease_token = 'other', lease_expires_at = $2 WHERE id = $1",
      [deadId, Date.now() + 600_000],
    );
    const queue = queueStoreOf(log);
    onTestFinished(() => queue.close());
    let settled = false;
    const requeue = queue.requeueDeliveries([deadId], { now: Date.now() }).finally(() => {
      settled = true;
    });
    // The requeue is blocked on the row lock until the claim commits.
    await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'",
        );
        return rows[0]?.n === 1 ? true : undefined;
      },
      undefined,
      "the requeue to wait for the claim's row lock",
    );
    expect(settled).toBe(false);
    await claimer.query("COMMIT");
    expect(await requeue).toEqual([{ id: deadId, outcome: "skipped", reason: "leased" }]);
    expect(await deliveryReadsOf(log).getDelivery(deadId)).toMatchObject({
      status: "in_flight",
      leaseToken: "other",
    });
  });
});
