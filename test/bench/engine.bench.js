// engine: what the promise-returning store port costs SQLite. The engine awaits every exchange;
// SqliteEngineStore resolves in the same turn, so its difference against the synchronous
// exchangeNow is the promise and the await alone.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { SqliteEngineStore } from "../../dist/store/sqlite-engine.js";
import { completionOf, engineBatch, freshDb, seed } from "./replay.bench.js";
import { fmt, median } from "./stats.js";

/** The two ways to the same store: exchangeNow with no await anywhere in the loop, or awaited. */
const ways = ["sync", "async"];

/**
 * Claim `count` due rows in batches of the engine's size, each exchange also completing the
 * way's previous batch (as the engine commits finished attempts with its next claim). Each way
 * has its own log of the same shape (a write on another connection would empty this one's page
 * cache) and they take turns batch by batch, the order reversed every other step, so a load
 * spike on this shared machine hits them all alike; µs per batch for each.
 */
async function claimComplete(count) {
  const now = 10_000_000;
  const state = {};
  for (const way of ways) {
    const log = freshDb();
    seed(log.db, { count, dueAt: 1000 });
    state[way] = {
      log,
      store: new SqliteEngineStore(log.db),
      previous: [],
      ms: 0,
      batches: 0,
      done: 0,
      dry: false,
    };
  }
  for (let step = 0; ways.some((way) => !state[way].dry); step++) {
    for (const way of step % 2 === 0 ? ways : [...ways].reverse()) {
      const s = state[way];
      if (s.dry) continue;
      const request = {
        now,
        completions: s.previous.map((work) => completionOf(work)),
        releases: [],
        claim: { token: randomUUID(), limit: engineBatch, marginMs: 5000, exclude: [], scope: undefined },
      };
      const started = performance.now();
      const { work, recorded } =
        way === "sync" ? s.store.exchangeNow(request) : await s.store.exchange(request);
      s.ms += performance.now() - started;
      s.batches++;
      s.done += recorded.length;
      s.previous = work;
      s.dry = work.length === 0 && recorded.length === 0;
    }
  }
  const us = {};
  for (const way of ways) {
    const s = state[way];
    await s.store.close();
    s.log.db.close();
    s.log.cleanup();
    if (s.done !== count) throw new Error(`${way}: completed ${s.done} of ${count}`);
    us[way] = (s.ms * 1000) / s.batches;
  }
  return us;
}

export default async function bench({ quick }) {
  const count = quick ? 20_000 : 100_000;
  const rounds = quick ? 3 : 5;
  await claimComplete(4_000); // warm-up
  const results = [];
  for (let round = 0; round < rounds; round++) results.push(await claimComplete(count));
  const ratios = results.map((r) => r.async / r.sync);
  return [
    {
      name: `await store.exchange vs exchangeNow (SqliteEngineStore): claim+complete batches of ${engineBatch} (${fmt(count)} rows)`,
      value: `${fmt(median(results.map((r) => r.async)), 1)} µs/batch`,
      baseline: `${fmt(median(results.map((r) => r.sync)), 1)} µs/batch`,
      ratio: median(ratios),
      target: "report",
      met: true,
      note:
        "time per batch awaited over synchronous (above 1: what the promise-returning port costs); each " +
        "exchange completes the previous batch and claims the next in one transaction; each way on its own " +
        "log of the same shape, the two taking turns batch by batch, the order alternating; median of " +
        `${rounds} rounds (per-round ratios ${ratios.map((r) => r.toFixed(3)).join(", ")})`,
    },
  ];
}
