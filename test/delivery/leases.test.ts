import { afterEach, describe, expect, it } from "vitest";
import { deliverClaimed } from "../../src/delivery/deliver.js";
import { runScheduler, type SchedulerEvent } from "../../src/delivery/scheduler.js";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { getEvent } from "../../src/store/events.js";
import { Leases } from "../../src/store/leases.js";
import { openDb } from "../../src/store/open.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { realSleep, schedulerDeps, seedDeliveries, virtualClock } from "../helpers/scheduler-kit.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("leases", () => {
  it("two schedulers on one log never run the same delivery at the same time", async () => {
    // Every delivery fails once, so each is claimed at least twice, by either scheduler.
    receiver = await startScriptedReceiver((_hit, n) => ({ status: n === 1 ? 500 : 200, delayMs: 15 }));
    const path = tempDb();
    const seeder = openDb(path);
    const ids = seedDeliveries(seeder, {
      url: receiver.url,
      now: Date.now(),
      count: 200,
      policy: { initialMs: 20, jitter: 0 },
    });
    seeder.close();
    const a = openDb(path);
    const b = openDb(path);
    const clock = { now: () => Date.now(), sleep: realSleep };
    const [ra, rb] = await Promise.all([
      runScheduler(schedulerDeps(a, clock), { concurrency: 4 }),
      runScheduler(schedulerDeps(b, clock), { concurrency: 4 }),
    ]);

    expect(receiver.maxOverlapPerDelivery()).toBe(1);
    for (const id of ids) {
      expect(receiver.count(id)).toBe(2);
      expect(getDelivery(a, id)).toMatchObject({ status: "succeeded", attemptCount: 2 });
    }
    expect(ra.attempts + rb.attempts).toBe(400);
    expect(ra.attempts).toBeGreaterThan(0);
    expect(rb.attempts).toBeGreaterThan(0);
    a.close();
    b.close();
  });

  it("a stale lease holder cannot complete: the newer holder's result stands", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const db = openDb(tempDb());
    const clock = virtualClock();
    const t0 = clock.now();
    const [id] = seedDeliveries(db, { url: receiver.url, now: t0 });
    const leases = new Leases(db);
    const [stale] = leases.claimDue({ now: t0, leaseMs: 1000, token: "holder-a", limit: 10 });
    expect(stale?.id).toBe(id);

    // Holder A stalls past its lease; a scheduler reclaims and delivers it.
    clock.set(t0 + 5000);
    const result = await runScheduler(schedulerDeps(db, clock));
    expect(result).toMatchObject({ succeeded: 1 });

    const event = getEvent(db, stale?.eventId as string);
    const report = await deliverClaimed(
      {
        delivery: stale as NonNullable<typeof stale>,
        event: event as NonNullable<typeof event>,
        secrets: [],
        leaseToken: "holder-a",
      },
      { ...schedulerDeps(db, clock), leases },
    );
    expect(report.stale).toBe(true);
    expect(listAttempts(db, id as string)).toHaveLength(1);
    expect(getDelivery(db, id as string)).toMatchObject({ status: "succeeded", attemptCount: 1 });
    expect(leases.renew(id as string, "holder-a", t0 + 10_000)).toBe(false);
    expect(leases.release(id as string, "holder-a", t0 + 10_000)).toBe(false);
  });

  it("expired leases of a dead process are reclaimed: at start, and when they lapse later", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const db = openDb(tempDb());
    const clock = virtualClock();
    const t0 = clock.now();
    const [early] = seedDeliveries(db, { url: receiver.url, now: t0 - 60_000 });
    const leases = new Leases(db);
    leases.claimDue({ now: t0 - 60_000, leaseMs: 10_000, token: "crashed-1", limit: 1 });
    const [late] = seedDeliveries(db, { url: receiver.url, now: t0 });
    leases.claimDue({ now: t0, leaseMs: 30_000, token: "crashed-2", limit: 1 });
    expect(getDelivery(db, late as string)?.status).toBe("in_flight");

    const events: SchedulerEvent[] = [];
    const result = await runScheduler(schedulerDeps(db, clock), { onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ outcome: "done", succeeded: 2 });
    expect(events[0]).toMatchObject({ type: "started", reclaimed: 1 });
    expect(events.find((e) => e.type === "reclaimed")).toMatchObject({ at: t0 + 30_000, count: 1 });
    expect(listAttempts(db, late as string)[0]?.startedAt).toBe(t0 + 30_000);
    expect(listAttempts(db, early as string)[0]?.startedAt).toBe(t0);
  });

  it("claimDue gives each row a lease of its own timeout plus the margin and skips excluded endpoints", () => {
    const db = openDb(tempDb());
    const now = 1_000_000;
    const [short] = seedDeliveries(db, { url: "http://127.0.0.1:9/", now, timeoutMs: 1000 });
    const [long] = seedDeliveries(db, { url: "http://127.0.0.1:9/", now, timeoutMs: 30_000 });
    seedEndpoint(db, { id: "ep_x", name: "x", url: "http://127.0.0.1:9/", ratePerSecond: 1, createdAt: now });
    const [skipped] = seedDeliveries(db, { url: "http://127.0.0.1:9/", now: now - 1, endpointId: "ep_x" });
    const leases = new Leases(db);
    const rows = leases.claimDue({
      now,
      leaseMs: 500,
      marginMs: 500,
      token: "t",
      limit: 10,
      excludeEndpoints: ["ep_x"],
    });
    const expiry = Object.fromEntries(rows.map((row) => [row.id, row.leaseExpiresAt]));
    expect(expiry).toEqual({ [short as string]: now + 1500, [long as string]: now + 30_500 });
    expect(getDelivery(db, skipped as string)?.status).toBe("pending");
    // Without margin the lease is exactly leaseMs, as before.
    expect(leases.claimDue({ now, leaseMs: 500, token: "u", limit: 10 })[0]?.leaseExpiresAt).toBe(now + 500);
  });
});
