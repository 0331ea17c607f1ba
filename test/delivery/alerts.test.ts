import { describe, expect, it } from "vitest";
import { alert } from "../../src/contract/schema/alert.js";
import { sqliteAlertLog } from "../../src/delivery/alerts/log.js";
import { type AlertRunnerDeps, alertHoldMs, startAlerts } from "../../src/delivery/alerts/runner.js";
import type { AlertEvent, AlertMessage, AlertSink, SinkAnswer } from "../../src/delivery/alerts/types.js";
import { AlertStore, alertsOfDelivery } from "../../src/store/alerts.js";
import { type Db, openDb } from "../../src/store/open.js";
import { waitFor } from "../helpers/bin.js";
import { shaped } from "../helpers/contract.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const t0 = Date.UTC(2026, 0, 1);
const day = 24 * 60 * 60 * 1000;

/** A clock that moves only when the test says; sleepers wake once their time has come. */
function manualClock(start = t0) {
  let t = start;
  const sleepers = new Set<{ at: number; resolve: () => void }>();
  return {
    now: () => t,
    sleep(ms: number, signal: AbortSignal): Promise<void> {
      return new Promise((resolve) => {
        const sleeper = { at: t + ms, resolve };
        sleepers.add(sleeper);
        signal.addEventListener(
          "abort",
          () => {
            sleepers.delete(sleeper);
            resolve();
          },
          { once: true },
        );
      });
    },
    /** The earliest time someone sleeps until. */
    nextWake: () => Math.min(...[...sleepers].map((s) => s.at)),
    advance(ms: number) {
      t += ms;
      for (const sleeper of [...sleepers]) {
        if (sleeper.at <= t) {
          sleepers.delete(sleeper);
          sleeper.resolve();
        }
      }
    },
  };
}

/** A sink that answers as `answer` says (default: confirmed) and records every try. */
function scriptedSink(
  answer: (n: number, signal: AbortSignal) => Promise<SinkAnswer> | SinkAnswer = () => ({ ok: true }),
) {
  const tries: AlertMessage[] = [];
  const sink: AlertSink = {
    name: "command:test",
    label: "command:test",
    async send(message, signal) {
      tries.push(message);
      return answer(tries.length, signal);
    },
  };
  return { sink, tries };
}

/** Never answers until abandoned. */
const hanging = (_n: number, signal: AbortSignal) =>
  new Promise<SinkAnswer>((resolve) =>
    signal.addEventListener("abort", () => resolve({ ok: false, error: "aborted" }), { once: true }),
  );

function setup(sink: AlertSink, extra: Partial<AlertRunnerDeps> = {}) {
  const db = openDb(tempDb());
  const clock = manualClock();
  const events: AlertEvent[] = [];
  const deps: AlertRunnerDeps = {
    log: sqliteAlertLog(db),
    sinks: [sink],
    now: clock.now,
    sleep: (ms, signal) => clock.sleep(ms, signal),
    onEvent: (event) => events.push(event),
    ...extra,
  };
  return { db, clock, events, deps };
}

function kill(db: Db, at: number, count = 1): string[] {
  const ids = seedDeliveries(db, {
    url: "http://127.0.0.1:1/hooks",
    now: at,
    count,
    secrets: ["whsec_c2VjcmV0LXNlY3JldA=="],
  });
  for (const id of ids) finishDelivery(db, id, "dead", at);
  return ids;
}

const status = (db: Db, id: string) => alertsOfDelivery(db, id)[0];

describe("the dead-letter alert runner", () => {
  it("sends each death once, woken by the engine, with the contract's alert and masked secrets", async () => {
    const { sink, tries } = scriptedSink();
    const { db, clock, events, deps } = setup(sink);
    const alerts = startAlerts(deps);
    const [id] = kill(db, clock.now()) as [string];
    alerts.wake();
    await waitFor(() => (status(db, id)?.status === "sent" ? true : undefined), 5000, "sent");
    expect(tries).toHaveLength(1);
    const sent = shaped(alert, JSON.parse(tries[0]?.body ?? ""));
    expect(sent).toMatchObject({ id: `alr_${id.slice(4)}_1`, type: "delivery.dead", deliveryId: id });
    expect(sent.delivery).toMatchObject({ id, status: "dead", event: { type: "order.created" } });
    expect(JSON.stringify(sent)).not.toContain("c2VjcmV0LXNlY3JldA==");
    expect(events).toEqual([
      { type: "alert-sent", at: t0, alertId: sent.id, deliveryId: id, sink: "command:test", attempt: 1 },
    ]);
    expect(status(db, id)).toMatchObject({ attempts: 1, sentAt: t0, lastError: null });
    // Later passes (polls) do not send it again.
    clock.advance(5000);
    await alerts.finish(0);
    expect(tries).toHaveLength(1);
    db.close();
  });

  it("never sends an alert again that a claim begun before its send ended answers later", async () => {
    // As on PostgreSQL: the claim is made at once, its answer arrives later.
    let finishSend: (answer: SinkAnswer) => void = () => {};
    const { sink, tries } = scriptedSink(
      () =>
        new Promise<SinkAnswer>((resolve) => {
          finishSend = resolve;
        }),
    );
    const { db, clock, deps } = setup(sink);
    let held: Promise<void> | undefined;
    let claiming = 0;
    const alerts = deps.log.alerts;
    const log = {
      ...deps.log,
      alerts: {
        ...alerts,
        claim: async (...args: Parameters<typeof alerts.claim>) => {
          const rows = await alerts.claim(...args);
          claiming++;
          if (held) await held;
          return rows;
        },
      },
    };
    const runner = startAlerts({ ...deps, log });
    const [id] = kill(db, clock.now()) as [string];
    runner.wake();
    await waitFor(() => (tries.length === 1 ? true : undefined), 5000, "the first send");
    let release: () => void = () => {};
    held = new Promise((resolve) => {
      release = resolve;
    });
    const before = claiming;
    runner.wake();
    await waitFor(() => (claiming > before ? true : undefined), 5000, "a claim while the send runs");
    finishSend({ ok: true });
    await waitFor(() => (status(db, id)?.status === "sent" ? true : undefined), 5000, "sent");
    release();
    held = undefined;
    clock.advance(5000);
    await runner.finish(0);
    expect(tries).toHaveLength(1);
    db.close();
  });

  it("runners of one sink in two processes (two connections to one log) send each alert once", async () => {
    const path = tempDb();
    const clock = manualClock();
    const tries: { runner: number; id: string }[] = [];
    const runnerOn = (db: Db, runner: number) => {
      const sink: AlertSink = {
        name: "command:shared",
        label: "command:shared",
        async send(message) {
          // An answer a few turns later: the other runner's passes run in between.
          for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
          tries.push({ runner, id: message.alert.id });
          return { ok: true };
        },
      };
      return startAlerts({
        log: sqliteAlertLog(db),
        sinks: [sink],
        now: clock.now,
        sleep: (ms, signal) => clock.sleep(ms, signal),
      });
    };
    const dbs = [openDb(path), openDb(path)] as const;
    const runners = dbs.map((db, i) => runnerOn(db, i));
    await Promise.all(runners.map((r) => r.ready));
    const ids = kill(dbs[0], clock.now(), 24);
    // Both woken at every look, as two processes polling one log would be.
    const allSent = () => {
      for (const r of runners) r.wake();
      return ids.every((id) => status(dbs[0], id)?.status === "sent") ? true : undefined;
    };
    await waitFor(allSent, 10_000, "all sent");
    for (const r of runners) await r.finish(0);
    expect(tries).toHaveLength(ids.length);
    expect(new Set(tries.map((t) => t.id)).size).toBe(ids.length);
    // Both took part: the claim shared the work rather than one runner doing it all.
    expect(new Set(tries.map((t) => t.runner)).size).toBe(2);
    for (const db of dbs) db.close();
  });

  it("keeps holding an alert while its try outlasts the hold, and a stopped runner gives it back at once", async () => {
    const path = tempDb();
    const clock = manualClock();
    const runnerWith = (sink: AlertSink, log: ReturnType<typeof sqliteAlertLog>) =>
      startAlerts({ log, sinks: [sink], now: clock.now, sleep: (ms, signal) => clock.sleep(ms, signal) });
    const slow = scriptedSink(hanging);
    const dbA = openDb(path);
    const a = runnerWith({ ...slow.sink, name: "command:shared" }, sqliteAlertLog(dbA));
    await a.ready;
    const [id] = kill(dbA, clock.now()) as [string];
    a.wake();
    await waitFor(() => (slow.tries.length === 1 ? true : undefined), 5000, "the slow try");
    expect(status(dbA, id)?.nextAttemptAt).toBe(t0 + alertHoldMs);
    // Half the hold left: the next pass moves it on by a hold.
    clock.advance(alertHoldMs / 2);
    const renewed = t0 + alertHoldMs / 2 + alertHoldMs;
    await waitFor(() => (status(dbA, id)?.nextAttemptAt === renewed ? true : undefined), 5000, "the renewal");
    clock.advance(alertHoldMs / 2);
    const again = t0 + 2 * alertHoldMs;
    await waitFor(() => (status(dbA, id)?.nextAttemptAt === again ? true : undefined), 5000, "renewed again");
    // Past the first hold: a runner in another process still finds nothing to send.
    const dbB = openDb(path);
    const fast = scriptedSink();
    const logB = sqliteAlertLog(dbB);
    let claims = 0;
    const b = runnerWith(
      { ...fast.sink, name: "command:shared" },
      {
        ...logB,
        alerts: {
          ...logB.alerts,
          claim: async (...args: Parameters<typeof logB.alerts.claim>) => {
            const rows = await logB.alerts.claim(...args);
            claims++;
            return rows;
          },
        },
      },
    );
    b.wake();
    await waitFor(() => (claims > 0 ? true : undefined), 5000, "the other runner's claim");
    expect(fast.tries).toHaveLength(0);
    // Stopped mid-try: due again at once, and the other runner sends it, same id.
    await a.stop();
    b.wake();
    await waitFor(() => (status(dbB, id)?.status === "sent" ? true : undefined), 5000, "sent by the other");
    expect(fast.tries.map((t) => t.alert.id)).toEqual([slow.tries[0]?.alert.id]);
    await b.stop();
    dbA.close();
    dbB.close();
  });

  it("a renewal that finds its hold taken (stalled past it) stops renewing; the runner keeps its pace", async () => {
    const path = tempDb();
    const clock = manualClock();
    const dbA = openDb(path);
    const logA = sqliteAlertLog(dbA);
    let holds = 0;
    const a = startAlerts({
      log: {
        ...logA,
        alerts: {
          ...logA.alerts,
          hold: async (...args: Parameters<typeof logA.alerts.hold>) => {
            holds++;
            return logA.alerts.hold(...args);
          },
        },
      },
      sinks: [{ ...scriptedSink(hanging).sink, name: "command:shared" }],
      now: clock.now,
      sleep: (ms, signal) => clock.sleep(ms, signal),
    });
    await a.ready;
    const [id] = kill(dbA, clock.now()) as [string];
    a.wake();
    await waitFor(
      () => (status(dbA, id)?.nextAttemptAt === t0 + alertHoldMs ? true : undefined),
      5000,
      "held",
    );
    // A stalls past its hold; a runner in another process takes the alert.
    const dbB = openDb(path);
    expect(
      new AlertStore(dbB).claim("command:shared", t0 + alertHoldMs, 4, t0 + 3 * alertHoldMs),
    ).toHaveLength(1);
    clock.advance(alertHoldMs);
    await waitFor(() => (holds > 0 ? true : undefined), 5000, "A's renewal");
    // Its pass is over: it sleeps until its next poll, not a millisecond from now.
    await waitFor(() => (clock.nextWake() > clock.now() ? true : undefined), 5000, "A asleep");
    expect(clock.nextWake()).toBe(clock.now() + 1000);
    const renewals = holds;
    clock.advance(1000);
    await waitFor(() => (clock.nextWake() > clock.now() ? true : undefined), 5000, "A asleep again");
    expect(holds).toBe(renewals);
    // The other runner's hold stands.
    expect(status(dbB, id)?.nextAttemptAt).toBe(t0 + 3 * alertHoldMs);
    await a.stop();
    dbA.close();
    dbB.close();
  });

  it("finds deaths other processes queued by polling every second", async () => {
    const { sink, tries } = scriptedSink();
    const { db, clock, deps } = setup(sink);
    const alerts = startAlerts(deps);
    await waitFor(() => (clock.nextWake() === t0 + 1000 ? true : undefined), 5000, "the poll timer");
    const [id] = kill(db, clock.now()) as [string];
    clock.advance(1000);
    await waitFor(() => (status(db, id)?.status === "sent" ? true : undefined), 5000, "sent");
    expect(tries).toHaveLength(1);
    await alerts.stop();
    db.close();
  });

  it("retries a failing alert at 1 s, 2 s, 4 s … with the first stderr line as last_error, then sends it", async () => {
    const { sink, tries } = scriptedSink((n) => (n <= 3 ? { ok: false, error: `boom ${n}` } : { ok: true }));
    const { db, clock, events, deps } = setup(sink, { pollMs: 60_000 });
    const alerts = startAlerts(deps);
    const [id] = kill(db, clock.now()) as [string];
    alerts.wake();
    for (const [n, delay] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
    ] as const) {
      await waitFor(() => (status(db, id)?.attempts === n ? true : undefined), 5000, `failure ${n}`);
      expect(status(db, id)).toMatchObject({
        status: "pending",
        lastError: `boom ${n}`,
        nextAttemptAt: clock.now() + delay,
      });
      // Nothing is sent before its time.
      clock.advance(delay - 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(tries).toHaveLength(n);
      clock.advance(1);
    }
    await waitFor(() => (status(db, id)?.status === "sent" ? true : undefined), 5000, "sent");
    expect(
      events.map((e) => [e.type, e.attempt, "nextAttemptAt" in e ? e.nextAttemptAt : undefined]),
    ).toEqual([
      ["alert-failed", 1, t0 + 1000],
      ["alert-failed", 2, t0 + 3000],
      ["alert-failed", 3, t0 + 7000],
      ["alert-sent", 4, undefined],
    ]);
    await alerts.stop();
    db.close();
  });

  it("caps the delay at 5 minutes and gives up after ten failures once a day has passed since the death", async () => {
    const { sink, tries } = scriptedSink(() => ({ ok: false, error: "exit status 1" }));
    const { db, clock, events, deps } = setup(sink);
    const alerts = startAlerts(deps);
    const [id] = kill(db, clock.now()) as [string];
    alerts.wake();
    // Ten failures: 1 s … 256 s, then the 5-minute cap.
    for (let n = 1; n <= 10; n++) {
      await waitFor(() => (status(db, id)?.attempts === n ? true : undefined), 5000, `failure ${n}`);
      const wait = (status(db, id)?.nextAttemptAt ?? 0) - clock.now();
      expect(wait).toBe(Math.min(300_000, 1000 * 2 ** (n - 1)));
      clock.advance(wait);
    }
    // A day later, the next failure gives it up.
    await waitFor(() => (status(db, id)?.attempts === 11 ? true : undefined), 5000, "failure 11");
    clock.advance(day);
    await waitFor(() => (status(db, id)?.status === "failed" ? true : undefined), 5000, "given up");
    expect(events.at(-1)).toMatchObject({
      type: "alert-failed",
      attempt: 12,
      nextAttemptAt: null,
      error: "exit status 1",
    });
    const triesThen = tries.length;
    clock.advance(day);
    expect(await alerts.finish(0)).toEqual({ pending: 0, lastError: null });
    expect(tries).toHaveLength(triesThen);
    db.close();
  });

  it("a crash before the sink confirmed sends the alert again, same id, from the next runner", async () => {
    const first = scriptedSink(hanging);
    const { db, clock, deps } = setup(first.sink);
    const alerts = startAlerts(deps);
    const [id] = kill(db, clock.now()) as [string];
    alerts.wake();
    await waitFor(() => (first.tries.length === 1 ? true : undefined), 5000, "a try");
    expect(await alerts.stop()).toEqual({ pending: 1, lastError: null });
    expect(status(db, id)).toMatchObject({ status: "pending", attempts: 0 });

    const second = scriptedSink();
    const again = startAlerts({ ...deps, sinks: [second.sink] });
    await waitFor(() => (status(db, id)?.status === "sent" ? true : undefined), 5000, "sent");
    expect(second.tries[0]?.alert.id).toBe(first.tries[0]?.alert.id);
    await again.stop();
    db.close();
  });

  it("sends what is left of a purged delivery", async () => {
    const { sink, tries } = scriptedSink();
    const { db, clock, deps } = setup(sink);
    new AlertStore(db).register(sink.name, clock.now());
    const [id] = kill(db, clock.now()) as [string];
    db.prepare("DELETE FROM deliveries WHERE id = ?").run(id);
    const alerts = startAlerts(deps);
    await waitFor(() => (tries.length > 0 ? true : undefined), 5000, "a try");
    expect(shaped(alert, JSON.parse(tries[0]?.body ?? ""))).toMatchObject({ deliveryId: id, delivery: null });
    await alerts.stop();
    db.close();
  });

  it("finish: sends what is due, waits for what is in flight, and leaves at the grace bound what still hangs", async () => {
    const { sink, tries } = scriptedSink((n, signal) => (n === 1 ? hanging(n, signal) : { ok: true }));
    const { db, clock, deps } = setup(sink, { concurrency: 1 });
    const alerts = startAlerts(deps);
    const [hung, queued] = kill(db, clock.now(), 2) as [string, string];
    const finished = alerts.finish(3000);
    await waitFor(() => (tries.length === 1 ? true : undefined), 5000, "a try");
    // The one slot is held: the second waits, and finish does not return.
    clock.advance(2999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(tries).toHaveLength(1);
    clock.advance(1);
    expect(await finished).toEqual({ pending: 2, lastError: null });
    expect([status(db, hung)?.status, status(db, queued)?.status]).toEqual(["pending", "pending"]);
    expect(await alerts.pending()).toBe(2);
    db.close();
  });

  it("a log it cannot read ends the runner (finish throws it), or with onError is reported and tried again at the next poll", async () => {
    const { sink, tries } = scriptedSink();
    const plain = setup(sink);
    const ended = startAlerts(plain.deps);
    plain.db.exec("ALTER TABLE alerts RENAME TO alerts_away");
    ended.wake();
    await expect(ended.finish(0)).rejects.toThrow(/alerts/);
    plain.db.close();

    const errors: unknown[] = [];
    const { db, clock, deps } = setup(sink, { onError: (error) => errors.push(error) });
    const alerts = startAlerts(deps);
    const [id] = kill(db, clock.now()) as [string];
    db.exec("ALTER TABLE alerts RENAME TO alerts_away");
    alerts.wake();
    await waitFor(() => (errors.length >= 1 ? true : undefined), 5000, "the error reported");
    db.exec("ALTER TABLE alerts_away RENAME TO alerts");
    clock.advance(1000);
    await waitFor(() => (status(db, id)?.status === "sent" ? true : undefined), 5000, "sent after all");
    expect(tries).toHaveLength(1);
    await alerts.stop();
    db.close();
  });
});
