import type { Pool } from "pg";
import { describe, expect, it } from "vitest";
import { alertLogOf } from "../../src/delivery/alerts/log.js";
import { startAlerts } from "../../src/delivery/alerts/runner.js";
import type { AlertMessage, AlertSink } from "../../src/delivery/alerts/types.js";
import { timerSleep } from "../../src/delivery/rate-limit.js";
import { sqliteAlertQueries } from "../../src/store/alerts.js";
import type { ClaimRequest, EngineStore } from "../../src/store/engine-port.js";
import { openLog } from "../../src/store/log-handle.js";
import { openDb } from "../../src/store/open.js";
import { PgAlertStore } from "../../src/store/pg/alerts.js";
import { PgEngineStore } from "../../src/store/pg/engine-store.js";
import type { AlertPort } from "../../src/store/ports/alerts.js";
import { bindSqlite } from "../../src/store/ports/bind.js";
import { SqliteEngineStore } from "../../src/store/sqlite-engine.js";
import { waitFor } from "../helpers/bin.js";
import { attemptRecord } from "../helpers/engine-kit.js";
import { postgresForFile } from "../helpers/pg.js";
import { seedPgDeliveries } from "../helpers/pg-log.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const pg = postgresForFile();
const url = "http://127.0.0.1:9/hook";
const t0 = Date.UTC(2026, 0, 1);
const none = { completions: [], releases: [] };
const claim = (token: string): ClaimRequest => ({
  token,
  limit: 10,
  marginMs: 200,
  exclude: [],
  scope: undefined,
});
const ulid = (id: string) => id.slice(4);

/** Claim the due delivery `id` and complete it as dead, through `store`. */
async function killWith(store: EngineStore, id: string): Promise<string> {
  await store.exchange({ now: t0, ...none, claim: claim("l") });
  await store.exchange({
    now: t0,
    completions: [{ token: "l", attempt: attemptRecord(id, 500, t0), next: { status: "dead" } }],
    releases: [],
  });
  return id;
}

/** `count` new deliveries, claimed and completed dead (a 410) through `store`: their ids. */
async function seedDead(pool: Pool, store: EngineStore, now: number, count: number): Promise<string[]> {
  const ids = await seedPgDeliveries(pool, { url, now, count });
  await store.exchange({ now, ...none, claim: { ...claim("l"), limit: count } });
  await store.exchange({
    now,
    completions: ids.map((id) => ({
      token: "l",
      attempt: attemptRecord(id, 410, now),
      next: { status: "dead" as const },
    })),
    releases: [],
  });
  return ids;
}

describe("dead-letter alerts on PostgreSQL", () => {
  it("a completion that makes a delivery dead queues one alert per registered sink in the same statement", async () => {
    const { pool } = await pg.pool();
    const store = new PgEngineStore(pool);
    pg.defer(() => store.close());
    const alerts = new PgAlertStore(pool);
    await alerts.register("command:a", t0 - 1);
    await alerts.register("url:http://127.0.0.1:9/alerts", t0 - 1);
    const [dead, ok, retry, bad] = await seedPgDeliveries(pool, { url, now: t0, count: 4 });
    await pool.query("UPDATE deliveries SET extra_headers = 'not json' WHERE id = $1", [bad]);
    const claimed = await store.exchange({ now: t0, ...none, claim: claim("lease-a") });
    expect(claimed.shelved).toEqual([bad]);
    const result = await store.exchange({
      now: t0 + 10,
      completions: [
        { token: "lease-a", attempt: attemptRecord(dead as string, 500, t0), next: { status: "dead" } },
        { token: "lease-a", attempt: attemptRecord(ok as string, 200, t0), next: { status: "succeeded" } },
        {
          token: "lease-a",
          attempt: attemptRecord(retry as string, 503, t0),
          next: { status: "pending", nextAttemptAt: t0 + 1000 },
        },
      ],
      releases: [],
    });
    expect(result.recorded).toEqual([true, true, true]);
    const of = async (id: string | undefined) =>
      (await alerts.alertsOfDelivery(id as string)).map((a) => [a.id, a.sink, a.status, a.createdAt]);
    expect(await of(dead)).toEqual([
      [`alr_${ulid(dead as string)}_1`, "command:a", "pending", t0 + 10],
      [`alr_${ulid(dead as string)}_1`, "url:http://127.0.0.1:9/alerts", "pending", t0 + 10],
    ]);
    expect(await of(ok)).toEqual([]);
    expect(await of(retry)).toEqual([]);
    // The damaged row shelved while claiming: dead at attempt 0, alerted too.
    expect((await of(bad)).map(([id]) => id)).toEqual([
      `alr_${ulid(bad as string)}_0`,
      `alr_${ulid(bad as string)}_0`,
    ]);
    // A stale holder's "dead" writes nothing, so it queues nothing either.
    const again = await store.exchange({
      now: t0 + 20,
      completions: [
        { token: "lease-a", attempt: attemptRecord(retry as string, 500, t0), next: { status: "dead" } },
      ],
      releases: [],
    });
    expect(again.recorded).toEqual([false]);
    expect(await of(retry)).toEqual([]);
    expect(await alerts.counts(["command:a"])).toEqual({ pending: 2, sent: 0, failed: 0 });
  });

  it("the port answers as SQLite's does: due, claim, hold, retry, give up, sent, counts, last error", async () => {
    const run = async (port: AlertPort, kill: () => Promise<string>) => {
      await port.register("command:x", t0);
      const id = await kill();
      const [row] = await port.due("command:x", t0 + 5, 10);
      const alertId = row?.id as string;
      const steps = [
        await port.nextDueAfter("command:x", t0),
        await port.scheduleRetry(alertId, "command:x", t0 + 1000, "exit 1"),
        await port.due("command:x", t0 + 5, 10),
        await port.nextDueAfter("command:x", t0),
        // Claimed: held until t0 + 61 s, so a second claim finds nothing; moving another hold
        // changes nothing, moving this one back makes it due again.
        (await port.claim("command:x", t0 + 1000, 10, t0 + 61_000)).map((a) => a.nextAttemptAt),
        (await port.claim("command:x", t0 + 1000, 10, t0 + 62_000)).length,
        await port.hold(alertId, "command:x", t0 + 62_000, t0 + 1000),
        await port.hold(alertId, "command:x", t0 + 61_000, t0 + 1000),
        await port.nextDueAfter("command:x", t0),
        await port.lastError(["command:x"]),
        await port.markSent(alertId, "command:x", t0 + 1000),
        await port.markSent(alertId, "command:x", t0 + 1001),
        await port.giveUp(alertId, "command:x", "late"),
        await port.counts(["command:x"]),
      ];
      const rows = (await port.alertsOfDelivery(id)).map((a) => ({
        ...a,
        id: a.id.replace(ulid(id), "U"),
        deliveryId: "D",
      }));
      return { steps, rows };
    };
    const { pool } = await pg.pool();
    const pgPort = new PgAlertStore(pool);
    const pgStore = new PgEngineStore(pool);
    pg.defer(() => pgStore.close());
    const onPg = await run(pgPort, async () => {
      const [id] = await seedPgDeliveries(pool, { url, now: t0, count: 1 });
      return killWith(pgStore, id as string);
    });
    const db = openDb(tempDb());
    const sqliteStore = new SqliteEngineStore(db);
    const onSqlite = await run(bindSqlite(db, sqliteAlertQueries), async () => {
      const [id] = seedDeliveries(db, { url, now: t0, count: 1 });
      return killWith(sqliteStore, id as string);
    });
    db.close();
    expect(onPg).toEqual(onSqlite);
    expect(onPg.rows[0]).toMatchObject({ id: "alr_U_1", status: "sent", attempts: 2, sentAt: t0 + 1000 });
  });

  it("the runner sends PostgreSQL's queued alerts through its sinks and records them sent", async () => {
    const { url: at, pool } = await pg.pool();
    const log = await openLog(at);
    pg.defer(() => log.close());
    const store = new PgEngineStore(pool);
    pg.defer(() => store.close());
    const tries: AlertMessage[] = [];
    const sink: AlertSink = {
      name: "command:test",
      label: "command:test",
      send: async (message) => {
        tries.push(message);
        return { ok: true };
      },
    };
    const alertLog = await alertLogOf(log);
    // The delivery reads port may not have its PostgreSQL side yet: the alert needs no more.
    // Reported rather than ending the runner silently: a failure then names itself below.
    const errors: unknown[] = [];
    const runner = startAlerts({
      log: { ...alertLog, describe: async () => undefined },
      sinks: [sink],
      now: Date.now,
      sleep: timerSleep,
      pollMs: 50,
      onError: (error) => errors.push(error),
    });
    await runner.ready;
    const now = Date.now();
    const ids = await seedDead(pool, store, now, 3);
    runner.wake();
    await waitFor(
      () => (tries.length >= 3 || errors.length > 0 ? true : undefined),
      10_000,
      "three alerts sent",
    );
    expect(errors).toEqual([]);
    expect(tries).toHaveLength(3);
    const left = await runner.finish(1000);
    expect(left).toEqual({ pending: 0, lastError: null });
    expect(tries.map((t) => t.alert.deliveryId).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      expect((await alertLog.alerts.alertsOfDelivery(id)).map((a) => a.status)).toEqual(["sent"]);
    }
  });

  it("runners of one sink in two processes (two pools on one database) send each alert once", async () => {
    const { url: at, pool } = await pg.pool();
    const store = new PgEngineStore(pool);
    pg.defer(() => store.close());
    const tries: { runner: number; id: string }[] = [];
    const runners: ReturnType<typeof startAlerts>[] = [];
    for (const runner of [0, 1]) {
      const log = await openLog(at);
      pg.defer(() => log.close());
      const alertLog = await alertLogOf(log);
      const sink: AlertSink = {
        name: "command:shared",
        label: "command:shared",
        send: async (message) => {
          tries.push({ runner, id: message.alert.id });
          return { ok: true };
        },
      };
      runners.push(
        startAlerts({
          log: { ...alertLog, describe: async () => undefined },
          sinks: [sink],
          now: Date.now,
          sleep: timerSleep,
          pollMs: 20,
        }),
      );
    }
    await Promise.all(runners.map((r) => r.ready));
    const now = Date.now();
    const ids = await seedDead(pool, store, now, 30);
    const port = new PgAlertStore(pool);
    const allSent = async () => {
      for (const r of runners) r.wake();
      return (await port.counts(["command:shared"])).sent === ids.length ? true : undefined;
    };
    await waitFor(allSent, 10_000, "all sent");
    for (const r of runners) expect(await r.finish(1000)).toEqual({ pending: 0, lastError: null });
    expect(tries).toHaveLength(ids.length);
    expect(new Set(tries.map((t) => t.id)).size).toBe(ids.length);
  });
});
