import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createAttempt } from "../../src/delivery/attempt.js";
import { defaultPolicy } from "../../src/delivery/policy.js";
import { TokenBucket, timerSleep } from "../../src/delivery/rate-limit.js";
import { startScheduler } from "../../src/delivery/scheduler.js";
import { sendEvents } from "../../src/delivery/send.js";
import { idFactory } from "../../src/store/ids.js";
import { PgEngineStore } from "../../src/store/pg/engine-store.js";
import { limitBurst } from "../../src/store/pg/limits-sql.js";
import { postgresForFile } from "../helpers/pg.js";
import { pgAttemptCounts, seedPgDeliveries, seedPgEndpoint } from "../helpers/pg-log.js";

const pg = postgresForFile();

/**
 * A loopback receiver that counts the requests it is answering at once, and every delivery id.
 * The first `hold` requests are answered only once `hold` are open together: the cap is reached
 * for sure, and a request beyond it would show while they wait.
 */
async function countingReceiver(hold: number, delayMs: (n: number) => number) {
  let current = 0;
  let most = 0;
  let n = 0;
  const held: (() => void)[] = [];
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    current++;
    most = Math.max(most, current);
    const id = String(req.headers["x-webhook-delivery-id"]);
    seen.set(id, (seen.get(id) ?? 0) + 1);
    req.resume();
    const answer = () => {
      current--;
      res.end("ok");
    };
    if (++n <= hold) {
      held.push(answer);
      if (held.length === hold) for (const release of held.splice(0)) release();
      return;
    }
    setTimeout(answer, delayMs(n));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  pg.defer(() => new Promise((resolve) => server.close(resolve)));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    most: () => most,
    seen,
  };
}

/** The most intervals [start, end) open at one instant. */
function maxOverlap(intervals: readonly (readonly [number, number])[]): number {
  const edges = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  // At one instant an end comes before a start: a slot freed at t may be taken at t.
  edges.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let open = 0;
  let most = 0;
  for (const [, step] of edges) {
    open += step as number;
    most = Math.max(most, open);
  }
  return most;
}

/** The most starts in any window [s, s + 1000). */
function maxPerSecond(starts: readonly number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to++) {
    while ((sorted[to] as number) - (sorted[from] as number) >= 1000) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

describe("engines sharing a PostgreSQL log", () => {
  it("three schedulers, each with its own pool, keep an endpoint's cap and rate between them", async () => {
    const cap = 4;
    const rate = 50;
    const count = 300;
    // Mostly quick answers, every fourth one slow: the rate binds most of the time, the cap when
    // slow answers pile up.
    const receiver = await countingReceiver(cap, (n) => (n % 4 === 0 ? 150 : 3));
    const { url: at, pool } = await pg.pool();
    const now = Date.now();
    await seedPgEndpoint(pool, {
      id: "ep_shared",
      name: "shared",
      url: receiver.url,
      createdAt: now,
      concurrency: cap,
      ratePerSecond: rate,
    });
    const ids = await seedPgDeliveries(pool, {
      url: receiver.url,
      now,
      count,
      endpointId: "ep_shared",
      timeoutMs: 5000,
    });

    const scheduler = async (name: string) => {
      const own = await pg.pool(at);
      const store = new PgEngineStore(own.pool);
      pg.defer(() => store.close());
      const run = startScheduler(
        {
          store,
          attempt: createAttempt({ now: Date.now }),
          now: Date.now,
          sleep: timerSleep,
          random: Math.random,
          newToken: () => `${name}-${randomUUID()}`,
          randomHex: (bytes) => randomBytes(bytes).toString("hex"),
          userAgent: "hookctl-test",
          rateLimiter: (ratePerSecond) => new TokenBucket({ ratePerSecond, now: Date.now }),
        },
        { concurrency: 8 },
      );
      return run.done;
    };
    const results = await Promise.all(["a", "b", "c"].map(scheduler));

    expect(results.reduce((sum, r) => sum + r.succeeded, 0)).toBe(count);
    expect(results.reduce((sum, r) => sum + r.lost, 0)).toBe(0);
    // Each scheduler took part.
    expect(results.filter((r) => r.attempts > 0)).toHaveLength(3);

    const { rows } = await pool.query<{ started_at: number; duration_ms: number }>(
      "SELECT started_at, duration_ms FROM attempts",
    );
    expect(rows).toHaveLength(count);
    expect(
      maxOverlap(rows.map((r) => [r.started_at, r.started_at + r.duration_ms] as const)),
    ).toBeLessThanOrEqual(cap);
    expect(maxPerSecond(rows.map((r) => r.started_at))).toBeLessThanOrEqual(rate + limitBurst(rate));
    expect(receiver.most()).toBe(cap);

    // Zero double deliveries, by the log and by the receiver.
    expect([...(await pgAttemptCounts(pool)).values()].filter((n) => n !== 1)).toEqual([]);
    expect(receiver.seen.size).toBe(count);
    expect([...receiver.seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect(new Set(receiver.seen.keys())).toEqual(new Set(ids));
    const { rows: held } = await pool.query("SELECT * FROM endpoint_slots WHERE lease_token IS NOT NULL");
    expect(held).toEqual([]);
  }, 120_000);

  it("a send and two schedulers on one limited endpoint keep its cap and rate between them", async () => {
    const cap = 3;
    const rate = 40;
    const seeded = 120;
    const sent = 50;
    // Each sent twice (send --duplicate 2): the second copies are reopened, and parked likewise.
    const copies = 2;
    const receiver = await countingReceiver(cap, (n) => (n % 3 === 0 ? 100 : 3));
    const { url: at, pool } = await pg.pool();
    const now = Date.now();
    await seedPgEndpoint(pool, {
      id: "ep_both",
      name: "both",
      url: receiver.url,
      createdAt: now,
      concurrency: cap,
      ratePerSecond: rate,
    });
    await seedPgDeliveries(pool, {
      url: receiver.url,
      now,
      count: seeded,
      endpointId: "ep_both",
      timeoutMs: 5000,
    });
    const storeOf = async () => {
      const own = await pg.pool(at);
      const store = new PgEngineStore(own.pool);
      pg.defer(() => store.close());
      return store;
    };
    const common = {
      attempt: createAttempt({ now: Date.now }),
      now: Date.now,
      sleep: timerSleep,
      random: Math.random,
      newToken: () => randomUUID(),
      randomHex: (bytes: number) => randomBytes(bytes).toString("hex"),
      userAgent: "hookctl-test",
    };
    const schedulers = [0, 1].map(
      async () =>
        startScheduler(
          {
            ...common,
            store: await storeOf(),
            rateLimiter: (ratePerSecond) => new TokenBucket({ ratePerSecond, now: Date.now }),
          },
          { concurrency: 8 },
        ).done,
    );
    const send = sendEvents(
      {
        target: {
          url: receiver.url,
          endpointId: "ep_both",
          endpointName: "both",
          scheme: "hookctl",
          secrets: null,
          extraHeaders: {},
          timeoutMs: 5000,
          policy: defaultPolicy,
        },
        event: { type: "order.created", body: Buffer.from("{}"), contentType: "application/json" },
        count: sent,
        duplicate: copies,
        shuffle: false,
        concurrency: 8,
        ratePerSecond: null,
      },
      { ...common, store: await storeOf(), newId: idFactory(Date.now, (n) => randomBytes(n)) },
    );
    const [sendResult, ...results] = await Promise.all([send, ...schedulers]);

    expect(sendResult.tally).toEqual({ succeeded: sent, pending: 0, dead: 0, elsewhere: 0 });
    // The schedulers may take some of send's rows too (they are due in the log): all delivered.
    const { rows } = await pool.query<{ started_at: number; duration_ms: number }>(
      "SELECT started_at, duration_ms FROM attempts",
    );
    expect(rows).toHaveLength(seeded + sent * copies);
    expect(sendResult.attempts).toBe(sent * copies);
    expect(results.reduce((sum, r) => sum + r.succeeded, 0)).toBe(seeded);
    expect(
      maxOverlap(rows.map((r) => [r.started_at, r.started_at + r.duration_ms] as const)),
    ).toBeLessThanOrEqual(cap);
    expect(maxPerSecond(rows.map((r) => r.started_at))).toBeLessThanOrEqual(rate + limitBurst(rate));
    expect(receiver.most()).toBe(cap);
    expect(receiver.seen.size).toBe(seeded + sent);
    expect([...receiver.seen.values()].sort()).toEqual([
      ...Array(seeded).fill(1),
      ...Array(sent).fill(copies),
    ]);
  }, 120_000);
});
