import { describe, expect, it, onTestFinished } from "vitest";
import { type PruneResultJson, pruneResult } from "../../../src/contract/schema/prune.js";
import { Leases } from "../../../src/store/leases.js";
import { type LogHandle, openLog } from "../../../src/store/log-handle.js";
import { type Db, openDb } from "../../../src/store/open.js";
import { PgEngineStore } from "../../../src/store/pg/engine-store.js";
import { pruneStoreOf } from "../../../src/store/ports/prune.js";
import { pruneChunk } from "../../../src/store/prune.js";
import { insertReceived } from "../../../src/store/received.js";
import { readLog } from "../../../src/store/transfer/read.js";
import { transferTables } from "../../../src/store/transfer/tables.js";
import { writeLog } from "../../../src/store/transfer/write.js";
import { spawnBin } from "../../helpers/bin.js";
import { capturedRequest } from "../../helpers/captured.js";
import { runCli } from "../../helpers/context.js";
import { shaped } from "../../helpers/contract.js";
import { pgPassword, postgresForFile } from "../../helpers/pg.js";
import { finishDelivery, seedDeliveries } from "../../helpers/scheduler-kit.js";
import { tempDb } from "../../helpers/tmp.js";

const pg = postgresForFile();

const url = "http://127.0.0.1:9/hook";
const day = 86_400_000;
const now = Date.UTC(2026, 5, 1);
const old = now - 40 * day;
const cutoff = now - 30 * day;

/**
 * A SQLite log holding one of every case prune decides on: old finished deliveries (more than a
 * chunk of them), pending and in-flight old ones, a recent one, an event an idempotency key
 * names, an event with no delivery, alerts sent, pending and lost, captured requests old and new.
 */
function seededSqlite(): { path: string; db: Db } {
  const path = tempDb();
  const db = openDb(path);
  const many = seedDeliveries(db, { url, now: old, count: 7 });
  for (const id of many) finishDelivery(db, id, "succeeded", old);
  const [dead] = seedDeliveries(db, { url, now: old }) as [string];
  finishDelivery(db, dead, "dead", old + 1000);
  seedDeliveries(db, { url, now: old });
  const [leased] = seedDeliveries(db, { url, now: old }) as [string];
  expect(new Leases(db).claimById(leased, { now: old, leaseMs: 1000, token: "t" })).toBeTruthy();
  const [recent] = seedDeliveries(db, { url, now: old }) as [string];
  finishDelivery(db, recent, "succeeded", now - day);
  const [keyed] = seedDeliveries(db, { url, now: old }) as [string];
  finishDelivery(db, keyed, "succeeded", old);
  db.prepare(
    "INSERT INTO idempotency_keys (key, request_sha256, event_id, response, created_at) SELECT 'k1', 'x', event_id, '{}', ? FROM deliveries WHERE id = ?",
  ).run(old, keyed);
  db.prepare(
    "INSERT INTO events (id, type, body, content_type, created_at) VALUES ('evt_lonely', 'x', ?, 'text/plain', ?)",
  ).run(Buffer.from("x"), old);
  db.prepare("INSERT INTO alert_sinks (name, created_at) VALUES ('ops', ?)").run(old);
  const alert = db.prepare(
    "INSERT INTO alerts (id, sink, delivery_id, status, next_attempt_at, created_at) VALUES (?, 'ops', ?, ?, ?, ?)",
  );
  alert.run("alr_1", dead, "sent", old, old);
  alert.run("alr_2", dead, "pending", old, old);
  alert.run("alr_3", "dlv_purged_long_ago", "sent", old, old);
  alert.run("alr_4", "dlv_purged_long_ago", "failed", old, old);
  alert.run("alr_5", recent, "sent", old, old);
  for (const [id, at] of [
    ["rcv_old", old],
    ["rcv_new", now],
  ] as const) {
    insertReceived(db, capturedRequest({ id, receivedAt: at, headers: [], body: Buffer.from("{}") }));
  }
  return { path, db };
}

/** The same log on both backends: the SQLite one, and a PostgreSQL copy of it. */
async function bothBackends(): Promise<{
  sqlite: LogHandle;
  postgres: LogHandle;
  pgUrl: string;
  path: string;
}> {
  const { path, db } = seededSqlite();
  db.close();
  const sqlite = await openLog(path);
  const pgUrl = await pg.database();
  const postgres = await openLog(pgUrl);
  pg.defer(() => Promise.all([sqlite.close(), postgres.close()]));
  await writeLog(postgres, readLog(sqlite, { now }));
  return { sqlite, postgres, pgUrl, path };
}

/** Each moved table's keys, sorted: what is left after a prune. */
async function keysLeft(log: LogHandle): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of transferTables) {
    const sql = `SELECT ${table.key.join(" || '/' || ")} AS k FROM ${table.name}`;
    const rows =
      log.backend === "sqlite"
        ? (log.db.prepare(sql).all() as { k: string }[])
        : (await log.pool.query<{ k: string }>(sql)).rows;
    out[table.name] = rows.map((row) => String(row.k)).sort();
  }
  return out;
}

describe("log prune on PostgreSQL", () => {
  it("counts and deletes what SQLite does, chunk by chunk, leaving the same rows", async () => {
    const { sqlite, postgres } = await bothBackends();
    const expected = { deliveries: 9, attempts: 9, events: 3, alerts: 2, received: 1 };
    for (const log of [sqlite, postgres]) {
      expect(await pruneStoreOf(log).countPrunable({ cutoff, received: true })).toEqual(expected);
    }
    const chunks: number[] = [];
    const pruned = await pruneStoreOf(postgres).prune({
      cutoff,
      received: true,
      chunk: 3,
      between: async () => {
        chunks.push(1);
      },
    });
    expect(pruned).toEqual(expected);
    expect(chunks.length).toBeGreaterThan(3);
    expect(await pruneStoreOf(sqlite).prune({ cutoff, received: true, chunk: 3 })).toEqual(expected);
    expect(await keysLeft(postgres)).toEqual(await keysLeft(sqlite));
    expect((await keysLeft(postgres)).alerts).toEqual(["alr_2/ops", "alr_4/ops", "alr_5/ops"]);
    expect(await pruneStoreOf(postgres).countPrunable({ cutoff, received: false })).toEqual({
      deliveries: 0,
      attempts: 0,
      events: 0,
      alerts: 0,
      received: null,
    });
  });

  it("stops after the chunk in hand when aborted; a rerun prunes the rest", async () => {
    const { postgres } = await bothBackends();
    const store = pruneStoreOf(postgres);
    const stop = new AbortController();
    const first = await store.prune({
      cutoff,
      received: false,
      chunk: 3,
      signal: stop.signal,
      between: async () => stop.abort(),
    });
    expect(first).toMatchObject({ deliveries: 3, attempts: 3 });
    const rest = await store.prune({ cutoff, received: false, chunk: 3 });
    expect(first.deliveries + rest.deliveries).toBe(9);
    expect(first.events + rest.events).toBe(3);
  });

  it("drops scope sets over a day old (their processes died), keeps newer ones", async () => {
    const { postgres } = await bothBackends();
    if (postgres.backend !== "postgres") throw new Error("unreachable");
    await postgres.pool.query(
      "INSERT INTO scope_sets (set_name, delivery_id, created_at) VALUES ('dead', 'dlv_x', $1), ('live', 'dlv_y', $2)",
      [now - 2 * day, now - 60_000],
    );
    await pruneStoreOf(postgres).prune({ cutoff, received: false, now });
    const { rows } = await postgres.pool.query("SELECT set_name FROM scope_sets");
    expect(rows.map((row) => row.set_name)).toEqual(["live"]);
  });

  it("keeps a set over a day old while a scheduler still claims from it (a scoped replay --watch running for days)", async () => {
    const { postgres } = await bothBackends();
    if (postgres.backend !== "postgres") throw new Error("unreachable");
    const { pool } = postgres;
    await pool.query(
      "INSERT INTO scope_sets (set_name, delivery_id, created_at) VALUES ('running', 'dlv_x', $1), ('abandoned', 'dlv_y', $1)",
      [now - 3 * day],
    );
    // The scheduler of 'running', idle (waiting days for a retry), looked at its outlook an hour
    // ago; 'abandoned' was last run two days ago.
    const store = new PgEngineStore(pool, { now: () => now - 3_600_000 });
    onTestFinished(() => store.close());
    await store.outlook({ set: "running" }, new Set(), []);
    await pool.query("INSERT INTO scope_set_holders (set_name, alive_at) VALUES ('abandoned', $1)", [
      now - 2 * day,
    ]);
    await pruneStoreOf(postgres).prune({ cutoff, received: false, now });
    const sets = await pool.query("SELECT set_name FROM scope_sets ORDER BY set_name");
    expect(sets.rows.map((row) => row.set_name)).toEqual(["running"]);
    const holders = await pool.query("SELECT set_name FROM scope_set_holders");
    expect(holders.rows.map((row) => row.set_name)).toEqual(["running"]);
  });

  it("hookctl log prune prints the same JSON on both backends; --vacuum runs VACUUM (ANALYZE)", async () => {
    const { path, pgUrl } = await bothBackends();
    const clock = { now: () => now };
    const argv = ["--json", "log", "prune", "--older-than", "30d", "--received"];
    const dry = await runCli(["--db", pgUrl, ...argv, "--dry-run"], clock);
    expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: "" });
    const results: PruneResultJson[] = [];
    for (const db of [path, pgUrl]) {
      const result = await runCli(["--db", db, ...argv, "--yes", "--vacuum"], clock);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
      results.push(shaped(pruneResult, JSON.parse(result.stdout)));
    }
    const [onSqlite, onPg] = results as [PruneResultJson, PruneResultJson];
    expect({ ...onPg, freedBytes: 0 }).toEqual({ ...onSqlite, freedBytes: 0 });
    expect(onPg.freedBytes).toBeGreaterThanOrEqual(0);
    expect(shaped(pruneResult, JSON.parse(dry.stdout))).toEqual({ ...onPg, dryRun: true, freedBytes: null });
    expect(`${dry.stdout}${dry.stderr}`).not.toContain(pgPassword);
  });

  it("a missing database is one line naming the URL masked, never the password", async () => {
    const pgUrl = (await pg.database()).replace(/\/[^/]+$/, "/hookctl_nowhere");
    const result = await runCli(["--db", pgUrl, "log", "prune", "--older-than", "30d", "--yes"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("postgres://postgres:***@");
    expect(result.stderr).not.toContain(pgPassword);
  });

  it("the built binary prunes a big log in chunks while another process keeps writing", async () => {
    const { url: at, pool } = await pg.pool();
    const count = pruneChunk * 10 + 7;
    const then = Date.UTC(2020, 0, 1);
    await pool.query(
      "INSERT INTO events (id, type, body, content_type, created_at) VALUES ('evt_bulk', 'bulk', '\\x7b7d', 'application/json', $1)",
      [then],
    );
    await pool.query(
      `INSERT INTO deliveries (id, event_id, url, scheme, policy, timeout_ms, status, attempt_count, created_at, updated_at, completed_at)
       SELECT 'dlv_bulk_' || lpad(i::text, 7, '0'), 'evt_bulk', $2, 'hookctl', '{}', 1000, 'succeeded', 1, $1, $1, $1
       FROM generate_series(1, $3::int) AS i`,
      [then, url, count],
    );
    await pool.query(`INSERT INTO attempts (delivery_id, number, trigger, url, request_headers, started_at, duration_ms, status_code)
      SELECT id, 1, 'initial', url, '{}', created_at, 5, 200 FROM deliveries`);
    const child = spawnBin(["--db", at, "--json", "log", "prune", "--older-than", "30d", "--yes"]);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    let done = false;
    void exited.then(() => {
      done = true;
    });
    // What serve does meanwhile: an old-dated event with a pending delivery, each in a transaction.
    let writes = 0;
    let midway = 0;
    while (!done) {
      const n = String(writes++).padStart(6, "0");
      await pool.query(
        `WITH e AS (INSERT INTO events (id, type, body, content_type, created_at)
           VALUES ('evt_writer_' || $1::text, 'w', '\\x7b7d', 'application/json', $2) RETURNING id)
         INSERT INTO deliveries (id, event_id, url, scheme, policy, timeout_ms, status, created_at, updated_at)
         SELECT 'dlv_writer_' || $1::text, id, $3, 'hookctl', '{}', 1000, 'pending', $2, $2 FROM e`,
        [n, then, url],
      );
      const { rows } = await pool.query(
        "SELECT count(*)::int AS n FROM deliveries WHERE id LIKE 'dlv_bulk_%'",
      );
      if (rows[0].n > 0 && rows[0].n < count) midway++;
    }
    expect({ code: await exited, stderr: Buffer.concat(err).toString() }).toEqual({ code: 0, stderr: "" });
    const result = shaped(pruneResult, JSON.parse(Buffer.concat(out).toString()));
    expect(result).toMatchObject({ deliveries: count, attempts: count, events: 1 });
    expect(midway).toBeGreaterThan(0);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM deliveries");
    expect(rows[0].n).toBe(writes);
  });
});
