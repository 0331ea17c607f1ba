import { describe, expect, it } from "vitest";
import { outageFirstDelayMs } from "../../src/delivery/ride-out.js";
import { runScheduler, type SchedulerDeps, type SchedulerEvent } from "../../src/delivery/scheduler.js";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import type { EngineStore } from "../../src/store/engine-port.js";
import { type Db, openDb } from "../../src/store/open.js";
import { SqliteEngineStore } from "../../src/store/sqlite-engine.js";
import { waitFor } from "../helpers/bin.js";
import { type DiscreteClock, discreteClock, engineDeps, fakeAttempts } from "../helpers/engine-kit.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hook";

/** An error as the driver throws it, with its code. */
function fault(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

/** The engine's SQLite store, unavailable while `down()` gives an error to throw. */
function unavailableWhile(store: EngineStore, down: () => Error | undefined): EngineStore {
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const error = down();
      return error ? Promise.reject(error) : call(...args);
    };
  return {
    exchange: guard((request) => store.exchange(request)),
    renew: guard((tokens, now, margin) => store.renew(tokens, now, margin)),
    reclaimExpired: guard((now) => store.reclaimExpired(now)),
    outlook: guard((scope, held, exclude) => store.outlook(scope, held, exclude)),
    pendingCount: guard((scope) => store.pendingCount(scope)),
    endpointLimits: guard((id) => store.endpointLimits(id)),
  };
}

function log(clock: DiscreteClock, count: number): { db: Db; ids: string[] } {
  const db = openDb(tempDb());
  return { db, ids: seedDeliveries(db, { url, now: clock.now(), count }) };
}

describe("a watching scheduler whose log becomes unavailable", () => {
  it("waits 1 s, then 2 s, while it is away, then delivers everything, and stops on abort", async () => {
    const clock = discreteClock();
    const { db, ids } = log(clock, 6);
    const t0 = clock.now();
    // Away from the moment the third attempt starts until 2.5 s after the start.
    let awayFrom = Number.POSITIVE_INFINITY;
    const fake = fakeAttempts(clock, () => ({ status: 200, ms: 10 }));
    const attempt: SchedulerDeps["attempt"] = (request, signal) => {
      if (fake.calls.length === 2) awayFrom = clock.now();
      return fake.attempt(request, signal);
    };
    const away = () =>
      clock.now() >= awayFrom && clock.now() < t0 + 2500
        ? fault("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")
        : undefined;
    const store = unavailableWhile(new SqliteEngineStore(db), away);
    const events: SchedulerEvent[] = [];
    const controller = new AbortController();
    const running = runScheduler(engineDeps(store, clock, attempt), {
      watch: true,
      concurrency: 2,
      signal: controller.signal,
      onEvent: (event) => events.push(event),
    });
    await waitFor(
      () => (ids.every((id) => getDelivery(db, id)?.status === "succeeded") ? true : undefined),
      10_000,
      "every delivery",
    );
    controller.abort();
    const result = await running;

    const outages = events.filter((e) => e.type === "store-unavailable");
    expect(outages.map((e) => e.retryAt - e.at)).toEqual([outageFirstDelayMs, 2 * outageFirstDelayMs]);
    expect(outages[0]).toMatchObject({ error: "lost the connection to the PostgreSQL log" });
    // The whole run's figures, not only the last run's: six deliveries, each recorded once.
    expect(result).toMatchObject({ outcome: "interrupted", succeeded: 6, dead: 0 });
    for (const id of ids) expect(listAttempts(db, id).length).toBe(1);
    // Attempts whose records the log could not take were made again, with the same delivery id;
    // the run counts those it recorded.
    expect(result.attempts).toBe(6);
    expect(fake.calls.length).toBeGreaterThan(6);
    expect(fake.ids()).toEqual(new Set(ids));
    const stopped = events.filter((e) => e.type === "stopped");
    expect(stopped).toEqual([expect.objectContaining({ reason: "interrupted", succeeded: 6 })]);
    db.close();
  });

  it("stopped while it waits for the log: interrupted, with what it had done", async () => {
    const clock = discreteClock();
    const { db } = log(clock, 2);
    const fake = fakeAttempts(clock, () => ({ status: 200, ms: 10 }));
    let away = false;
    const store = unavailableWhile(new SqliteEngineStore(db), () =>
      away ? fault("SQLITE_BUSY", "database is locked") : undefined,
    );
    const controller = new AbortController();
    const events: SchedulerEvent[] = [];
    const running = runScheduler(engineDeps(store, clock, fake.attempt), {
      watch: true,
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        if (event.type === "idle") away = true;
        if (event.type === "store-unavailable") controller.abort();
      },
    });
    const result = await running;
    expect(result).toMatchObject({ outcome: "interrupted", succeeded: 2, pending: 0 });
    expect(events.filter((e) => e.type === "store-unavailable")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "stopped", reason: "interrupted", succeeded: 2 });
    db.close();
  });

  it("a damaged log, or a run that is not watching, still ends at the first fault", async () => {
    for (const [code, watch] of [
      ["SQLITE_CORRUPT", true],
      ["SQLITE_BUSY", false],
    ] as const) {
      const clock = discreteClock();
      const { db } = log(clock, 1);
      const fake = fakeAttempts(clock, () => ({ status: 200, ms: 10 }));
      const store = unavailableWhile(new SqliteEngineStore(db), () =>
        fake.calls.length > 0 ? fault(code) : undefined,
      );
      const events: SchedulerEvent[] = [];
      const controller = new AbortController();
      const running = runScheduler(engineDeps(store, clock, fake.attempt), {
        watch,
        signal: controller.signal,
        onEvent: (event) => events.push(event),
      });
      await expect(running).rejects.toMatchObject({ code });
      expect(events.some((e) => e.type === "store-unavailable")).toBe(false);
      db.close();
    }
  });
});
