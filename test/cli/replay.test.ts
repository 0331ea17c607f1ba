import { afterEach, describe, expect, it } from "vitest";
import { delivery } from "../../src/contract/schema/delivery.js";
import { replayEvent, requeueResult, wouldRequeue } from "../../src/contract/schema/replay.js";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { runCli } from "../helpers/context.js";
import { shaped, shapedLines } from "../helpers/contract.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** A log at `path` seeded by `seed`, closed again so the CLI opens it as a user would. */
function logWith<T>(seed: (db: ReturnType<typeof openDb>) => T): { path: string; seeded: T } {
  const path = tempDb();
  const db = openDb(path);
  const seeded = seed(db);
  db.close();
  return { path, seeded };
}

function snapshot(path: string): unknown {
  const db = openDb(path);
  const rows = db.prepare("SELECT * FROM deliveries ORDER BY id").all();
  const attempts = db.prepare("SELECT COUNT(*) FROM attempts").pluck().get();
  db.close();
  return { rows, attempts };
}

describe("hookctl replay", () => {
  it("with nothing pending exits 0 at once", async () => {
    const { path } = logWith(() => undefined);
    const result = await runCli(["--db", path, "replay"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/0 succeeded, 0 dead, 0 pending/);
  });

  it("delivers due work, one line per attempt, exit 0", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 204 }));
    const url = receiver.url;
    const { path, seeded } = logWith((db) => seedDeliveries(db, { url, now: Date.now(), count: 3 }));
    const result = await runCli(["--db", path, "replay"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const id of seeded) expect(result.stdout).toContain(`${id} order.created #1 → 204`);
    expect(result.stderr).toMatch(/3 succeeded, 0 dead, 0 pending \(3 attempts\)/);
  });

  it("exits 1 when a delivery became dead, with --json one event object per line", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 410 }));
    const url = receiver.url;
    const { path, seeded } = logWith((db) => seedDeliveries(db, { url, now: Date.now() }));
    const result = await runCli(["--db", path, "--json", "replay"]);
    expect(result.code).toBe(1);
    const events = shapedLines(replayEvent, result.stdout);
    expect(events.map((e) => e.type)).toEqual(["started", "attempt", "stopped"]);
    expect(events[0]).toMatchObject({ pending: 1, reclaimed: 0, watch: false });
    expect(events[1]).toMatchObject({
      result: "dead",
      attempt: { deliveryId: seeded[0], number: 1, trigger: "initial", statusCode: 410, url },
      delivery: {
        id: seeded[0],
        status: "dead",
        deadReason: "gone",
        attemptCount: 1,
        nextAttemptAt: null,
        nextRetry: null,
        lastAttempt: { number: 1, statusCode: 410 },
        completedAt: expect.any(String),
      },
    });
    // The delivery as that attempt left it: the same object the log prints afterwards.
    const logged = shapedLines(delivery, (await runCli(["--db", path, "--json", "log"])).stdout);
    expect(events[1]?.type === "attempt" && events[1].delivery).toEqual(logged[0]);
    expect(events[2]).toMatchObject({
      type: "stopped",
      reason: "done",
      pending: 0,
      succeeded: 0,
      dead: 1,
      attempts: 1,
      nextAttemptAt: null,
    });
  });

  it("policy flags override the recorded policy for this run", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 500 }));
    const url = receiver.url;
    const { path, seeded } = logWith((db) =>
      seedDeliveries(db, { url, now: Date.now(), policy: { retries: 10 } }),
    );
    const result = await runCli(["--db", path, "replay", "--retries", "1", "--initial", "20ms"]);
    expect(result.code).toBe(1);
    expect(receiver.count(seeded[0] as string)).toBe(2);
  });

  it("requeues a dead delivery by id, keeps its id, marks the attempt manual, and runs only it", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const url = receiver.url;
    const { path, seeded } = logWith((db) => {
      const [dead] = seedDeliveries(db, { url, now: Date.now() - 60_000 });
      finishDelivery(db, dead as string, "dead", Date.now() - 50_000);
      const [later] = seedDeliveries(db, { url, now: Date.now() });
      return { dead: dead as string, later: later as string };
    });
    const result = await runCli(["--db", path, "replay", seeded.dead.slice(-6)]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/requeued 1 delivery/);
    expect(result.stdout).toContain(`${seeded.dead} order.created #2 manual → 200`);
    const json = await runCli(["--db", path, "--json", "replay", seeded.dead]);
    expect(json.code).toBe(0);
    const [requeued, ...events] = json.stdout.trim().split("\n");
    expect(shaped(requeueResult, JSON.parse(requeued as string))).toEqual({
      outcome: "requeued",
      id: seeded.dead,
      deliveryId: seeded.dead,
      previousStatus: "succeeded",
      url,
    });
    expect(shapedLines(replayEvent, events.join("\n")).map((e) => e.type)).toEqual([
      "started",
      "attempt",
      "stopped",
    ]);
    const db = openDb(path);
    expect(getDelivery(db, seeded.dead)).toMatchObject({ status: "succeeded", attemptCount: 3 });
    expect(listAttempts(db, seeded.dead).map((a) => a.trigger)).toEqual(["initial", "manual", "manual"]);
    expect(getDelivery(db, seeded.later)?.status).toBe("pending");
    db.close();
  });

  it("named deliveries none of which can be requeued (in flight under a live lease) exit 1, saying why", async () => {
    const { path, seeded } = logWith((db) => {
      const [busy] = seedDeliveries(db, { url: "http://127.0.0.1:9/", now: Date.now() });
      db.prepare(
        "UPDATE deliveries SET status = 'in_flight', lease_token = 'elsewhere', lease_expires_at = ? WHERE id = ?",
      ).run(Date.now() + 600_000, busy);
      return { busy: busy as string };
    });
    const result = await runCli(["--db", path, "replay", seeded.busy]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("in flight under a live lease");
    // A selector that matches nothing is no failure.
    const none = await runCli(["--db", path, "replay", "--status", "dead"]);
    expect(none.code).toBe(0);
  });

  it("selectors with --to and --new-id mint redirected copies; --dry-run changes nothing", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const to = receiver.url;
    const { path, seeded } = logWith((db) => {
      const ids = seedDeliveries(db, { url: "http://127.0.0.1:9/old", now: Date.now(), count: 2 });
      for (const id of ids) finishDelivery(db, id, "dead", Date.now());
      return ids;
    });
    const before = snapshot(path);
    const dry = await runCli(["--db", path, "replay", "--status", "dead", "--to", to, "--dry-run"]);
    expect(dry.code).toBe(0);
    const [dryHeader, ...dryRows] = dry.stdout.trim().split("\n");
    expect(dryHeader).toMatch(/^id +status +event +endpoint +target$/);
    expect(dryRows).toHaveLength(2);
    expect(dry.stdout).toContain(`http://127.0.0.1:9/old → ${to}`);
    expect(dry.stderr).toMatch(/2 deliveries would be requeued; nothing changed/);
    expect(snapshot(path)).toEqual(before);
    const dryJson = await runCli([
      "--db",
      path,
      "--json",
      "replay",
      "--status",
      "dead",
      "--to",
      to,
      "--dry-run",
    ]);
    const wouldBe = shapedLines(wouldRequeue, dryJson.stdout);
    expect(wouldBe.map((line) => line.delivery.id).sort()).toEqual([...seeded].sort());
    for (const line of wouldBe) {
      expect(line).toMatchObject({ outcome: "would-requeue", to, skipped: false });
      expect(line.delivery).toMatchObject({ status: "dead", url: "http://127.0.0.1:9/old" });
    }
    expect(snapshot(path)).toEqual(before);

    const result = await runCli(["--db", path, "replay", "--status", "dead", "--to", to, "--new-id"]);
    expect(result.code).toBe(0);
    expect(receiver.hits).toHaveLength(2);
    for (const hit of receiver.hits) expect(seeded).not.toContain(hit.deliveryId);
    const db = openDb(path);
    for (const id of seeded) expect(getDelivery(db, id)?.status).toBe("dead");
    db.close();
  });

  it("rejects bad input with one line and exit 2", async () => {
    const { path, seeded } = logWith((db) =>
      seedDeliveries(db, { url: "http://127.0.0.1:9/", now: Date.now() }),
    );
    const cases: [string[], RegExp][] = [
      [["replay", "dlv_nope"], /no delivery "dlv_nope" in the log — list them with hookctl log/],
      [["replay", (seeded[0] as string).slice(-5)], /give the full id or at least its last 6 characters/],
      [["replay", seeded[0] as string, "--status", "dead"], /ids or selectors/],
      [["replay", "--to", "http://x.test/"], /apply to requeued deliveries/],
      [["replay", "--status", "dead", "--to", "ftp://x"], /http or https/],
      [["replay", "--status", "in_flight"], /argument 'in_flight' is invalid/],
      [["replay", "--endpoint", "nope"], /no endpoint named "nope"/],
      [["replay", "--initial", "2h"], /maximum delay must be at least the initial delay/],
      [["replay", "--concurrency", "0"], /--concurrency/],
    ];
    for (const [argv, message] of cases) {
      const result = await runCli(["--db", path, ...argv]);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n"), argv.join(" ")).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });

  it("returns 130 and leaves work pending when interrupted", async () => {
    const { path, seeded } = logWith((db) =>
      seedDeliveries(db, { url: "http://127.0.0.1:9/", now: Date.now() }),
    );
    const controller = new AbortController();
    controller.abort();
    const result = await runCli(["--db", path, "replay"], { signal: controller.signal });
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupted: .*1 pending/);
    const db = openDb(path);
    expect(getDelivery(db, seeded[0] as string)?.status).toBe("pending");
    db.close();
  });

  it("on a terminal draws a live status line on stderr", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const url = receiver.url;
    const { path } = logWith((db) => seedDeliveries(db, { url, now: Date.now(), count: 2 }));
    const result = await runCli(["--db", path, "replay"], { tty: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("\r\u001b[2K");
    expect(result.stderr).toMatch(/pending \d+ · in flight \d+ · succeeded \d+ · dead 0/);
    expect(result.stderr).toMatch(/2 succeeded, 0 dead, 0 pending/);
  });

  it("documents its flags with examples", async () => {
    const result = await runCli(["replay", "--help"]);
    expect(result.code).toBe(0);
    for (const flag of [
      "--status",
      "--since",
      "--event",
      "--endpoint",
      "--to",
      "--new-id",
      "--dry-run",
      "--watch",
      "--concurrency",
      "--retries",
      "--max-delay",
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain("Examples:");
  });
});

describe("hookctl replay against a rate-limited endpoint", () => {
  it("spaces attempts by the endpoint's --rate without using up retries", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const url = receiver.url;
    const { path, seeded } = logWith((db) => {
      seedEndpoint(db, { id: "ep_r", name: "rated", url, ratePerSecond: 20, createdAt: Date.now() });
      return seedDeliveries(db, {
        url,
        now: Date.now(),
        count: 6,
        endpointId: "ep_r",
        policy: { retries: 0 },
      });
    });
    const result = await runCli(["--db", path, "replay", "--concurrency", "8"]);
    expect(result.code).toBe(0);
    expect(receiver.hits).toHaveLength(6);
    const db = openDb(path);
    for (const id of seeded)
      expect(getDelivery(db, id)).toMatchObject({ status: "succeeded", attemptCount: 1 });
    // 20/s with a burst of 1: six attempts span at least 5 × 50 ms (less a little scheduling
    // jitter); unlimited, they would all start within a few milliseconds.
    const starts = seeded.map((id) => listAttempts(db, id)[0]?.startedAt as number).sort((a, b) => a - b);
    expect((starts.at(-1) as number) - (starts[0] as number)).toBeGreaterThanOrEqual(200);
    db.close();
  });
});
