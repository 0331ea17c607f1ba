import { afterEach, describe, expect, it } from "vitest";
import { sqliteAlertLog } from "../../src/delivery/alerts/log.js";
import { startAlerts } from "../../src/delivery/alerts/runner.js";
import type { AlertSink, SinkAnswer } from "../../src/delivery/alerts/types.js";
import { runScheduler } from "../../src/delivery/scheduler.js";
import { type Db, openDb } from "../../src/store/open.js";
import { schedulerDeps, seedDeliveries, virtualClock } from "../helpers/scheduler-kit.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

const receivers: ScriptedReceiver[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
});

const t0 = Date.UTC(2026, 0, 1);

/** Every attempt's time after t0, per delivery in seeding order: the run's whole timeline. */
function timeline(db: Db, ids: readonly string[]): number[][] {
  const read = db.prepare("SELECT started_at FROM attempts WHERE delivery_id = ? ORDER BY number").pluck();
  return ids.map((id) => (read.all(id) as number[]).map((at) => at - t0));
}

/**
 * One run over a virtual clock: half the deliveries get 410 (dead at once), half 503 twice and
 * then dead by exhaustion. With `sink`, alerts go to it on a timer of their own.
 */
async function run(urls: { gone: string; busy: string }, sink: AlertSink | undefined) {
  const db = openDb(tempDb());
  const clock = virtualClock(t0);
  const policy = { retries: 2, initialMs: 1000, maxDelayMs: 4000, jitter: 0 };
  const ids = [
    ...seedDeliveries(db, { url: urls.gone, now: t0, count: 10, policy }),
    ...seedDeliveries(db, { url: urls.busy, now: t0, count: 10, policy }),
  ];
  const alertTimer = new AbortController();
  const alerts = sink
    ? startAlerts({
        log: sqliteAlertLog(db),
        sinks: [sink],
        now: clock.now,
        // Its own timer (real, idle here): the engine's clock is the test's.
        sleep: (ms, signal) =>
          new Promise((resolve) => {
            const timer = setTimeout(resolve, Math.min(ms, 50));
            signal.addEventListener("abort", () => {
              clearTimeout(timer);
              resolve();
            });
          }),
        signal: alertTimer.signal,
      })
    : undefined;
  const result = await runScheduler(schedulerDeps(db, clock), {
    concurrency: 4,
    onEvent: (event) => {
      if (event.type === "delivery-dead") alerts?.wake();
    },
  });
  const left = alerts ? await alerts.stop() : undefined;
  return { db, ids, result, left, end: clock.now() };
}

describe("alerts beside the engine", () => {
  it("a sink that hangs on every alert changes nothing in the deliveries' timeline", async () => {
    const gone = await startScriptedReceiver(() => ({ status: 410 }));
    const busy = await startScriptedReceiver(() => ({ status: 503 }));
    receivers.push(gone, busy);
    const urls = { gone: gone.url, busy: busy.url };
    let tries = 0;
    const hangs: AlertSink = {
      name: "command:hangs",
      label: "command:hangs",
      send: (_message, signal) => {
        tries++;
        return new Promise<SinkAnswer>((resolve) =>
          signal.addEventListener("abort", () => resolve({ ok: false, error: "stopped" })),
        );
      },
    };
    const plain = await run(urls, undefined);
    const alerted = await run(urls, hangs);

    expect(alerted.result).toMatchObject({ outcome: "done", dead: 20, pending: 0 });
    expect(alerted.result.dead).toBe(plain.result.dead);
    // The same attempts at the same virtual times, and the run ended at the same moment.
    expect(timeline(alerted.db, alerted.ids)).toEqual(timeline(plain.db, plain.ids));
    expect(timeline(plain.db, plain.ids)[19]).toEqual([0, 1000, 5000]);
    expect(alerted.end).toBe(plain.end);
    // The sink was busy all along (4 slots held) and every death is still queued.
    expect(tries).toBe(4);
    expect(alerted.left).toEqual({ pending: 20, lastError: null });
    plain.db.close();
    alerted.db.close();
  });
});
