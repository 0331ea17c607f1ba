import { describe, expect, it } from "vitest";
import { type SchedulerEvent, startScheduler } from "../../src/delivery/scheduler.js";
import type { AttemptFn } from "../../src/delivery/types.js";
import { PgEngineStore } from "../../src/store/pg/engine-store.js";
import { waitFor } from "../helpers/bin.js";
import { attemptOutcome, discreteClock, engineDeps } from "../helpers/engine-kit.js";
import { postgresForFile } from "../helpers/pg.js";
import { pgAttemptCounts, seedPgDeliveries } from "../helpers/pg-log.js";
import { realSleep } from "../helpers/scheduler-kit.js";

const pg = postgresForFile();
const url = "http://127.0.0.1:9/hook";

const succeed: AttemptFn = async () => attemptOutcome(200, Date.now(), 1);

describe("engine on PostgreSQL: wake-ups", () => {
  it("an idle watching scheduler delivers work another process commits at once, not at its next poll", async () => {
    const { url: at, pool } = await pg.pool();
    const own = await pg.pool(at);
    const store = new PgEngineStore(own.pool);
    pg.defer(() => store.close());
    const events: SchedulerEvent[] = [];
    const stop = new AbortController();
    const deps = { ...engineDeps(store, discreteClock(), succeed), now: Date.now, sleep: realSleep };
    // A poll an hour away: only the notification can bring the new work in while the test runs.
    const running = startScheduler(deps, {
      watch: true,
      pollMs: 3_600_000,
      signal: stop.signal,
      onEvent: (e) => events.push(e),
    });
    expect(await store.listening()).toBe(true);
    await waitFor(() => events.find((e) => e.type === "idle"), 10_000, "the scheduler to go idle");

    const ids = await seedPgDeliveries(pool, { url, now: Date.now(), count: 25 });
    await waitFor(
      () => (events.filter((e) => e.type === "delivery-succeeded").length === 25 ? true : undefined),
      10_000,
      "the new deliveries",
    );
    stop.abort();
    expect(await running.done).toMatchObject({ outcome: "interrupted", succeeded: 25, lost: 0 });
    const counts = await pgAttemptCounts(pool);
    expect(ids.map((id) => counts.get(id))).toEqual(ids.map(() => 1));
  });
});
