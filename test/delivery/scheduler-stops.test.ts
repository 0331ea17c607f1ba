import { afterEach, describe, expect, it } from "vitest";
import { deadReasonOf } from "../../src/contract/delivery.js";
import type { RetryPolicy } from "../../src/delivery/policy.js";
import { runScheduler, type SchedulerEvent, type SchedulerOptions } from "../../src/delivery/scheduler.js";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { schedulerDeps, seedDeliveries, virtualClock } from "../helpers/scheduler-kit.js";
import { type Script, type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** A receiver answering `script`, a fresh log and a virtual clock at t0. */
async function harness(script: Script) {
  const target = await startScriptedReceiver(script);
  receiver = target;
  const db = openDb(tempDb());
  const clock = virtualClock();
  const t0 = clock.now();
  const events: SchedulerEvent[] = [];
  return {
    db,
    clock,
    t0,
    events,
    /** One delivery due `afterMs` after t0; returns its id. */
    seed: (afterMs = 0, policy?: Partial<RetryPolicy>) =>
      seedDeliveries(db, { url: target.url, now: t0 + afterMs, policy })[0] as string,
    run: (options: SchedulerOptions = {}) =>
      runScheduler(schedulerDeps(db, clock), { ...options, onEvent: (e) => events.push(e) }),
    row: (id: string) => getDelivery(db, id),
  };
}

describe("runScheduler: runs that end before the schedule does", () => {
  it("dueBy attempts only what is due by then and leaves later retries scheduled", async () => {
    const h = await harness(() => ({ status: 500 }));
    const due = h.seed();
    const later = h.seed(60_000);
    const result = await h.run({ dueBy: h.t0 });

    expect(result).toMatchObject({ outcome: "done", attempts: 1, dead: 0, pending: 2 });
    expect(h.row(due)).toMatchObject({ status: "pending", attemptCount: 1, nextAttemptAt: h.t0 + 1000 });
    expect(h.row(later)).toMatchObject({ status: "pending", attemptCount: 0 });
    expect(receiver?.count(later)).toBe(0);
    h.db.close();
  });

  it("dueBy on a requeued set still claims only what is due", async () => {
    const h = await harness(() => ({ status: 200 }));
    const due = h.seed();
    const later = h.seed(5000);
    const result = await h.run({ dueBy: h.t0, scope: [due, later] });
    expect(result).toMatchObject({ outcome: "done", attempts: 1, succeeded: 1, pending: 1 });
    expect(h.row(later)?.attemptCount).toBe(0);
    h.db.close();
  });

  it("stopAt stops at that time like an interrupt: what is left stays pending, reason time-limit", async () => {
    const h = await harness(() => ({ status: 503 }));
    const id = h.seed();
    const result = await h.run({ stopAt: h.t0 + 10_000 });

    // Attempts at 0 s, 1 s, 3.5 s and 9.7 s; retry 4 (at about 24.7 s) is past the limit.
    expect(result).toMatchObject({ outcome: "time-limit", attempts: 4, dead: 0, pending: 1 });
    expect(h.clock.now()).toBe(h.t0 + 10_000);
    expect(h.row(id)).toMatchObject({ status: "pending", attemptCount: 4 });
    expect(h.row(id)?.nextAttemptAt).toBeGreaterThan(h.t0 + 10_000);
    expect(h.events.at(-1)).toMatchObject({ type: "stopped", reason: "time-limit" });
    h.db.close();
  });

  it("the idle event names the delivery it waits for", async () => {
    const h = await harness((_hit, n) => ({ status: n === 1 ? 500 : 200 }));
    const id = h.seed();
    await h.run();
    expect(h.events.find((e) => e.type === "idle")).toMatchObject({ next: id, pending: 1 });
    h.db.close();
  });
});

describe("runScheduler: answers not worth retrying", () => {
  it("a 401 is dead at once as rejected, with the receiver's reason kept", async () => {
    const h = await harness(() => ({ status: 401, body: "signature does not match any secret" }));
    const id = h.seed();
    const result = await h.run();

    expect(result).toMatchObject({ dead: 1, attempts: 1 });
    expect(h.events.find((e) => e.type === "delivery-dead")).toMatchObject({ reason: "rejected" });
    expect(h.events.find((e) => e.type === "attempt-finished")).toMatchObject({ deadReason: "rejected" });
    const row = h.row(id);
    expect(row && deadReasonOf(row)).toBe("rejected");
    const [attempt] = listAttempts(h.db, id);
    expect(Buffer.from(attempt?.responseBody ?? []).toString()).toBe("signature does not match any secret");
    h.db.close();
  });

  it("with retry4xx a 404 is retried until the retries are used up (exhausted)", async () => {
    const h = await harness(() => ({ status: 404 }));
    const id = h.seed(0, { retries: 2, retry4xx: true });
    const result = await h.run();
    expect(result).toMatchObject({ dead: 1, attempts: 3 });
    const row = h.row(id);
    expect(row && deadReasonOf(row)).toBe("exhausted");
    h.db.close();
  });
});
