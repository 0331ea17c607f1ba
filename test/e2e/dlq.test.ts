import { afterEach, describe, expect, it } from "vitest";
import { delivery } from "../../src/contract/schema/delivery.js";
import { listAttempts } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { runBin } from "../helpers/bin.js";
import { shapedLines } from "../helpers/contract.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function snapshot(path: string): string {
  const db = openDb(path);
  const state = JSON.stringify({
    deliveries: db.prepare("SELECT * FROM deliveries ORDER BY id").all(),
    attempts: db.prepare("SELECT id, delivery_id, number, trigger FROM attempts ORDER BY id").all(),
    events: db.prepare("SELECT id FROM events ORDER BY id").all(),
  });
  db.close();
  return state;
}

describe("dead letters end to end", () => {
  it("fail to dead, list, dry-run, requeue elsewhere, replay, purge", async () => {
    receiver = await startScriptedReceiver((hit) => ({
      status: hit.headers.host && hit.body.length > 0 ? 500 : 500,
    }));
    const okReceiver = await startScriptedReceiver(() => ({ status: 200 }));
    const path = tempDb();
    const env = { HOOKCTL_DB: path };
    const seeder = openDb(path);
    const ids = seedDeliveries(seeder, {
      url: receiver.url,
      now: Date.now(),
      count: 3,
      policy: { retries: 1, initialMs: 50 },
    });
    seeder.close();

    const failing = await runBin(["replay"], { env });
    expect(failing.code).toBe(1);
    expect(failing.stdout.match(/dead \(retries exhausted\)/g)).toHaveLength(3);

    const list = await runBin(["dlq", "list", "--json"], { env });
    expect(list.code).toBe(0);
    const dead = shapedLines(delivery, list.stdout);
    expect(dead.map((d) => d.id).sort()).toEqual([...ids].sort());
    for (const d of dead) {
      expect(d).toMatchObject({
        status: "dead",
        deadReason: "exhausted",
        attemptCount: 2,
        lastAttempt: { number: 2, statusCode: 500 },
      });
    }

    const before = snapshot(path);
    for (const argv of [
      ["dlq", "requeue", "--all", "--dry-run"],
      ["replay", "--status", "dead", "--dry-run", "--to", okReceiver.url],
      ["dlq", "purge", "--all", "--dry-run"],
    ]) {
      const dry = await runBin(argv, { env });
      expect(dry.code, argv.join(" ")).toBe(0);
      const [header, ...rows] = dry.stdout.trim().split("\n");
      expect(header, argv.join(" ")).toMatch(/^id +(status +)?event +endpoint/);
      expect(rows.map((row) => /dlv_\w+/.exec(row)?.[0]).sort(), argv.join(" ")).toEqual([...ids].sort());
      expect(dry.stderr).toMatch(/nothing changed/);
    }
    expect(snapshot(path)).toBe(before);

    const [first, ...rest] = ids as [string, ...string[]];
    const requeue = await runBin(["dlq", "requeue", first, "--to", okReceiver.url], { env });
    expect(requeue.code).toBe(0);
    const replay = await runBin(["replay"], { env });
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain(`${first} order.created #3 manual → 200`);
    expect(okReceiver.hits.map((hit) => hit.deliveryId)).toEqual([first]);
    const db = openDb(path);
    expect(listAttempts(db, first).map((a) => [a.trigger, a.statusCode])).toEqual([
      ["initial", 500],
      ["scheduled", 500],
      ["manual", 200],
    ]);
    db.close();

    const show = await runBin(["dlq", "show", (rest[0] as string).slice(-6)], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(rest[0]);

    const refused = await runBin(["dlq", "purge", "--all"], { env });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    const purge = await runBin(["dlq", "purge", "--all", "--yes"], { env });
    expect(purge.code).toBe(0);
    expect(purge.stderr).toMatch(/purged 2 dead letters/);
    const empty = await runBin(["dlq", "list"], { env });
    expect(empty.stderr).toMatch(/no dead letters/);
    await okReceiver.close();
  }, 45_000);
});
