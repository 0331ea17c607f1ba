import type { EngineStore } from "../../src/store/engine-port.js";
import { engineStoreOf, type LogHandle, openLog } from "../../src/store/log-handle.js";
import { seedEndpoint } from "./endpoints.js";
import { attemptRecord } from "./engine-kit.js";
import { seedPgDeliveries, seedPgEndpoint } from "./pg-log.js";
import { type SeedOptions, seedDeliveries } from "./scheduler-kit.js";

/** Fixed times of the scenario: every one of them is in 2020, so later ones are the clock's. */
export const t0 = Date.UTC(2020, 0, 1);
export const hookUrl = "http://127.0.0.1:9/hook";
export const endpointSecret = "whsec_scenario_secret_1";

/** The deliveries of `writeScenario`, by what became of them. */
export interface Scenario {
  /** Endpoint `orders`, order.created, each with one failed attempt. */
  dead: string[];
  /** Bare URL, event type `Order.Created` (a glob is case-sensitive). */
  deadBare: string;
  succeeded: string;
  /** invoice.paid, never attempted. */
  pending: string;
  /** order.updated, claimed just now under a lease that lasts ten minutes. */
  leased: string;
}

/** Open (creating) the log at `target`, write the scenario through the engine's port, close it. */
export async function scenarioAt(target: string): Promise<Scenario> {
  const log = await openLog(target);
  try {
    return await writeScenario(log);
  } finally {
    await log.close();
  }
}

/**
 * The same log on either backend, written only through what already works on both (the
 * engine's exchange, seeding SQL): dead letters to an endpoint and a bare URL, a success, a
 * pending delivery and one in flight under a live lease.
 */
export async function writeScenario(log: LogHandle): Promise<Scenario> {
  const seed = (options: Omit<SeedOptions, "url">) => seedOn(log, { url: hookUrl, ...options });
  const endpoint = { id: "ep_orders", name: "orders", url: hookUrl, createdAt: t0 };
  if (log.backend === "sqlite") seedEndpoint(log.db, endpoint, [endpointSecret]);
  else await seedPgEndpoint(log.pool, endpoint, [endpointSecret]);
  // In id order, so that the roles below fall the same way in every run.
  const orders = (await seed({ count: 3, now: t0 + 1000, endpointId: "ep_orders" })).sort();
  const [bare] = await seed({ now: t0 + 2000, eventType: "Order.Created" });
  const [pending] = await seed({ now: t0 + 3000, eventType: "invoice.paid" });
  const [leased] = await seed({ now: t0 + 4000, eventType: "order.updated" });
  await withStore(log, async (store) => {
    const finished = [...orders, bare] as string[];
    const claimed = await store.exchange({
      now: t0 + 5000,
      completions: [],
      releases: [],
      claim: { token: "scenario", limit: 10, marginMs: 1000, exclude: [], scope: finished },
    });
    if (claimed.work.length !== finished.length) throw new Error("the scenario's claim came up short");
    const statusOf = (id: string) => (id === orders[1] ? 200 : 500);
    await store.exchange({
      now: t0 + 6000,
      completions: finished.map((id, i) => ({
        token: "scenario",
        attempt: attemptRecord(id, statusOf(id), t0 + 5000 + i),
        next: { status: statusOf(id) === 200 ? "succeeded" : "dead" },
      })),
      releases: [],
    });
    const now = Date.now();
    const live = await store.exchange({
      now,
      completions: [],
      releases: [],
      claim: { token: "live", limit: 1, marginMs: 600_000, exclude: [], scope: [leased as string] },
    });
    if (live.work.length !== 1) throw new Error("the scenario's live lease was not taken");
  });
  return {
    dead: [orders[0], orders[2]] as string[],
    deadBare: bare as string,
    succeeded: orders[1] as string,
    pending: pending as string,
    leased: leased as string,
  };
}

/**
 * `work` with the log's engine store. SQLite's is one per connection (it names its temporary
 * tables per store, so two on one connection would collide); PostgreSQL's is closed after, which
 * drops the scope sets its claims wrote.
 */
const sqliteStores = new WeakMap<LogHandle, EngineStore>();

async function withStore(log: LogHandle, work: (store: EngineStore) => Promise<void>): Promise<void> {
  if (log.backend === "sqlite") {
    let store = sqliteStores.get(log);
    if (!store) {
      store = await engineStoreOf(log);
      sqliteStores.set(log, store);
    }
    return work(store);
  }
  const store = await engineStoreOf(log);
  try {
    await work(store);
  } finally {
    await store.close?.();
  }
}

/** Pending deliveries of one event, due at `now`, on either backend. */
export function seedOn(log: LogHandle, options: SeedOptions): Promise<string[]> {
  return log.backend === "sqlite"
    ? Promise.resolve(seedDeliveries(log.db, options))
    : seedPgDeliveries(log.pool, options);
}

/** Claim pending deliveries and record one attempt each that ends them dead (500) or succeeded (200). */
export async function finishOn(log: LogHandle, ids: readonly string[], statusCode: 200 | 500, at: number) {
  await withStore(log, async (store) => {
    const claimed = await store.exchange({
      now: at,
      completions: [],
      releases: [],
      claim: { token: `finish-${at}`, limit: ids.length, marginMs: 1000, exclude: [], scope: ids },
    });
    await store.exchange({
      now: at,
      completions: claimed.work.map((work) => ({
        token: work.token,
        attempt: {
          ...attemptRecord(work.delivery.id, statusCode, at),
          number: work.delivery.attemptCount + 1,
        },
        next: { status: statusCode === 200 ? "succeeded" : "dead" },
      })),
      releases: [],
    });
  });
}

/**
 * Output with what differs between two runs of one scenario masked: ids become their order of
 * first appearance (`dlv#1`), times outside the scenario's year become `<now>`.
 */
export function masked(text: string): string {
  const seen = new Map<string, string>();
  return text
    .replace(/\b(dlv|evt)_[0-9A-Z]{26}\b/g, (id, prefix: string) => {
      let name = seen.get(id);
      if (!name) {
        name = `${prefix}#${seen.size + 1}`;
        seen.set(id, name);
      }
      return name;
    })
    .replace(/\b(?!2020-)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "<now>");
}
