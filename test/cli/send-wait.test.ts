import { afterEach, describe, expect, it } from "vitest";
import { listAttempts } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { runCli } from "../helpers/context.js";
import { type Receiver, startReceiver, statusReceiver } from "../helpers/receivers.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function deliveries(path: string) {
  const db = openDb(path);
  try {
    const rows = db.prepare("SELECT id, status FROM deliveries ORDER BY id").all() as {
      id: string;
      status: string;
    }[];
    return rows.map((row) => ({ ...row, attempts: listAttempts(db, row.id).map((a) => a.statusCode) }));
  } finally {
    db.close();
  }
}

describe("hookctl send --wait", () => {
  it("retries on the policy's schedule until delivered, then exits 0", async () => {
    // Each delivery fails twice, then is accepted.
    const seen = new Map<string, number>();
    receiver = await startReceiver((request) => {
      const id = String(request.headers["x-webhook-delivery-id"]);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      return { status: n <= 2 ? 503 : 200 };
    });
    const db = tempDb();
    const result = await runCli([
      "--db",
      db,
      "send",
      receiver.url,
      "--count",
      "3",
      "--wait",
      "--initial",
      "20ms",
      "--factor",
      "2",
      "--jitter",
      "0",
    ]);
    expect(result.code).toBe(0);
    const rows = deliveries(db);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatchObject({ status: "succeeded", attempts: [503, 503, 200] });
    // The retry phase reports as replay does; nothing tells the user to run replay themselves.
    expect(result.stderr).toMatch(/3 succeeded/);
    expect(result.stderr).toMatch(/next retry at .*; waiting for the pending ones \(--wait\)/);
    expect(result.stdout).not.toContain("— run hookctl replay");
    expect(result.stderr).not.toContain("run hookctl replay to deliver");
  });

  it("--json: the last event says nothing is pending and no attempt is next", async () => {
    let hits = 0;
    receiver = await startReceiver(() => ({ status: ++hits === 1 ? 503 : 200 }));
    const db = tempDb();
    const result = await runCli(["--db", db, "--json", "send", receiver.url, "--wait", "--initial", "10ms"]);
    expect(result.code).toBe(0);
    const last = JSON.parse(result.stdout.trim().split("\n").at(-1) as string);
    expect(last).toMatchObject({ type: "stopped", succeeded: 1, pending: 0, nextAttemptAt: null });
  });

  it("exits 1 once the retries are used up, the delivery dead", async () => {
    receiver = await statusReceiver(500);
    const db = tempDb();
    const result = await runCli([
      "--db",
      db,
      "send",
      receiver.url,
      "--wait",
      "--retries",
      "2",
      "--initial",
      "10ms",
      "--factor",
      "2",
      "--jitter",
      "0",
    ]);
    expect(result.code).toBe(1);
    expect(deliveries(db)).toMatchObject([{ status: "dead", attempts: [500, 500, 500] }]);
    expect(result.stdout).not.toContain("— run hookctl replay");
  });

  it("without --wait a failure is left pending for replay", async () => {
    receiver = await statusReceiver(500);
    const db = tempDb();
    const result = await runCli(["--db", db, "send", receiver.url, "--initial", "10ms"]);
    expect(result.code).toBe(1);
    expect(deliveries(db)).toMatchObject([{ status: "pending", attempts: [500] }]);
    expect(result.stdout).toContain("— run hookctl replay");
  });
});
