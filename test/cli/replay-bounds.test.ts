import { afterEach, describe, expect, it } from "vitest";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { runCli } from "../helpers/context.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function seeded(seed: (db: ReturnType<typeof openDb>) => string[][]): { path: string; ids: string[][] } {
  const path = tempDb();
  const db = openDb(path);
  const ids = seed(db);
  db.close();
  return { path, ids };
}

describe("replay that does not strand people", () => {
  it("--due attempts what is due now and exits, leaving later retries scheduled", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 500 }));
    const url = receiver.url;
    const now = Date.now();
    const { path, ids } = seeded((db) => [
      seedDeliveries(db, { url, now }),
      seedDeliveries(db, { url, now: now + 3_600_000 }),
    ]);
    const result = await runCli(["--db", path, "replay", "--due"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${ids[0]?.[0]} order.created #1 → 500`);
    expect(result.stderr).not.toMatch(/waiting/);
    expect(result.stderr).toMatch(/0 succeeded, 0 dead, 2 pending \(1 attempt\)/);
    const db = openDb(path);
    expect(getDelivery(db, ids[0]?.[0] as string)).toMatchObject({ status: "pending", attemptCount: 1 });
    expect(getDelivery(db, ids[1]?.[0] as string)).toMatchObject({ status: "pending", attemptCount: 0 });
    db.close();
  });

  it("--for stops the schedule when its time is up, nothing lost, exit 0", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 503 }));
    const url = receiver.url;
    const { path, ids } = seeded((db) => [seedDeliveries(db, { url, now: Date.now() })]);
    const result = await runCli(["--db", path, "replay", "--for", "300ms"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/time limit reached: 0 succeeded, 0 dead, 1 pending/);
    const db = openDb(path);
    const id = ids[0]?.[0] as string;
    expect(getDelivery(db, id)).toMatchObject({ status: "pending", attemptCount: 1 });
    expect(listAttempts(db, id)).toHaveLength(1);
    db.close();
  });

  it("a bare replay says up front how long the schedule can run and that Ctrl-C loses nothing", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const url = receiver.url;
    const { path } = seeded((db) => [seedDeliveries(db, { url, now: Date.now() })]);
    const result = await runCli(["--db", path, "replay"]);
    expect(result.code).toBe(0);
    expect(result.stderr.split("\n")[0]).toMatch(
      /^the schedule can run until .* \(up to 1h \d+m\) if every retry fails; Ctrl-C stops it and loses nothing/,
    );
  });

  it("the wait line names the delivery it waits for", async () => {
    receiver = await startScriptedReceiver((_hit, n) => ({ status: n === 1 ? 500 : 200 }));
    const url = receiver.url;
    const { path, ids } = seeded((db) => [seedDeliveries(db, { url, now: Date.now() })]);
    const result = await runCli(["--db", path, "replay", "--initial", "50ms"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(
        `waiting \\S+ for ${ids[0]?.[0]} \\(order\\.created → http://127\\.0\\.0\\.1:\\d+/\\S*, retry 1\\)`,
      ),
    );
  });

  it("--due and --watch together are refused", async () => {
    const result = await runCli(["--db", tempDb(), "replay", "--due", "--watch"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^hookctl: --due and --watch do not go together/);
  });
});
