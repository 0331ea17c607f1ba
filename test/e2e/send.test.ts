import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { delivery, sendResult } from "../../src/contract/schema/delivery.js";
import { openDb } from "../../src/store/open.js";
import { runBin, spawnBin, waitFor } from "../helpers/bin.js";
import { shaped, shapedLines } from "../helpers/contract.js";
import { okReceiver, type Receiver, startReceiver, statusReceiver } from "../helpers/receivers.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function query<T>(db: string, sql: string): T {
  const handle = openDb(db);
  try {
    return handle.prepare(sql).all() as T;
  } finally {
    handle.close();
  }
}

describe("hookctl send (built binary)", () => {
  it("delivers a fixture, signed, and the log shows it", async () => {
    receiver = await okReceiver();
    const db = tempDb();
    const sent = await runBin(["send", receiver.url, "--fixture", "order.created", "--scheme", "github"], {
      env: { HOOKCTL_DB: db, HOOKCTL_SECRET: "e2e-secret-value-123" },
    });
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^✓ 200 in [\d.]+ms · order\.created · dlv_\w{26}\n$/);
    expect(receiver.requests[0]?.headers["user-agent"]).toMatch(/^hookctl\/\d+\.\d+\.\d+/);
    const log = await runBin(["log", "--json"], { env: { HOOKCTL_DB: db } });
    expect(shaped(delivery, JSON.parse(log.stdout))).toMatchObject({
      status: "succeeded",
      event: { type: "order.created" },
      scheme: "github",
      signing: { source: "delivery", secrets: ["e2e-…"] },
      attemptCount: 1,
      lastAttempt: { number: 1, statusCode: 200 },
    });
    expect(log.stdout).not.toContain("e2e-secret-value-123");
  });

  it("a 5xx exits 1 with the delivery pending; bad input exits 2 with one line", async () => {
    receiver = await statusReceiver(502);
    const db = tempDb();
    const failed = await runBin(["send", receiver.url], { env: { HOOKCTL_DB: db } });
    expect(failed.code).toBe(1);
    // The receiver's first body line says why.
    expect(failed.stdout).toMatch(
      /^✗ 502 .*, retry 1 at \d\d:\d\d:\d\d · "status 502" — run hookctl replay\n$/,
    );
    expect(query(db, "SELECT status FROM deliveries")).toEqual([{ status: "pending" }]);

    const dir = tempDir();
    writeFileSync(join(dir, "not-a-dir"), "");
    const unwritable = await runBin(["send", receiver.url], {
      env: { HOOKCTL_DB: join(dir, "not-a-dir", "x.db") },
    });
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr.trim().split("\n")).toHaveLength(1);
    const bad = await runBin(["send", "gopher://x"], { env: { HOOKCTL_DB: db } });
    expect(bad).toMatchObject({
      code: 2,
      stderr: "hookctl: the target must be an http or https URL, not gopher: — use http:// or https://\n",
    });
  });

  it("two send processes writing the same fresh log at once both succeed", async () => {
    receiver = await startReceiver({ status: 200, delayMs: 2 });
    const db = tempDb();
    const args = ["send", receiver.url, "--count", "60", "--concurrency", "6", "--json"];
    const [a, b] = await Promise.all([
      runBin(args, { env: { HOOKCTL_DB: db }, timeoutMs: 60_000 }),
      runBin(args, { env: { HOOKCTL_DB: db }, timeoutMs: 60_000 }),
    ]);
    // With --json an error is a JSON object on stderr: say what it was if either run failed.
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect(a.stderr + b.stderr).not.toMatch(/hookctl:|"error"/);
    const results = shapedLines(sendResult, a.stdout);
    expect(results).toHaveLength(60);
    for (const result of results) expect(result).toMatchObject({ status: "succeeded", sends: 1, skipped: 0 });
    expect(query(db, "SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")).toEqual([
      { status: "succeeded", n: 120 },
    ]);
    expect(query(db, "SELECT COUNT(*) AS n FROM attempts")).toEqual([{ n: 120 }]);
    expect(new Set(receiver.requests.map((r) => r.headers["x-webhook-delivery-id"])).size).toBe(120);
  });

  it("the event is in the log before the request arrives; killed mid-request, nothing is lost", async () => {
    const db = tempDb();
    let inLogAtArrival: unknown;
    receiver = await startReceiver((request) => {
      inLogAtArrival = query(
        db,
        `SELECT status FROM deliveries WHERE id = '${request.headers["x-webhook-delivery-id"]}'`,
      );
      return { status: 200, delayMs: 60_000 };
    });
    const child = spawnBin(["send", receiver.url, "--fixture", "payment.refunded", "--timeout", "30s"], {
      env: { HOOKCTL_DB: db },
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await receiver.waitForRequests(1);
    child.kill("SIGKILL");
    await exited;
    expect(inLogAtArrival).toEqual([{ status: "in_flight" }]);
    const [row] = query<{ status: string; lease_expires_at: number; type: string }[]>(
      db,
      "SELECT d.status, d.lease_expires_at, e.type FROM deliveries d JOIN events e ON e.id = d.event_id",
    );
    // The lease runs out and replay reclaims it: the same delivery id is sent again.
    expect(row).toMatchObject({ status: "in_flight", type: "payment.refunded" });
    expect(row?.lease_expires_at).toBeGreaterThan(Date.now());
  });

  it("SIGINT stops starting sends, records what was in flight and exits 130", async () => {
    const db = tempDb();
    receiver = await startReceiver({ status: 200, delayMs: 50 });
    const child = spawnBin(["send", receiver.url, "--count", "500", "--fixture", "ping"], {
      env: { HOOKCTL_DB: db },
    });
    const stderr: Buffer[] = [];
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    // "close", not "exit": the summary may still be in the pipe when the process has exited.
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await receiver.waitForRequests(3);
    child.kill("SIGINT");
    const code = await exited;
    expect(code).toBe(130);
    const summary = Buffer.concat(stderr).toString();
    expect(summary).toMatch(
      /interrupted: \d+ sends not started \(their deliveries stay pending\); \d+ events never persisted/,
    );
    // Events are persisted a batch at a time just before they are sent: the rest never were.
    const neverPersisted = Number(/(\d+) events never persisted/.exec(summary)?.[1]);
    const counts = await waitFor(() => {
      const rows = query<{ status: string; n: number }[]>(
        db,
        "SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status",
      );
      return rows.length > 0 ? Object.fromEntries(rows.map((r) => [r.status, r.n])) : undefined;
    });
    expect(counts.in_flight).toBeUndefined();
    expect(counts.pending).toBeGreaterThan(0);
    expect(neverPersisted).toBeGreaterThan(300);
    expect((counts.succeeded ?? 0) + (counts.pending ?? 0)).toBe(500 - neverPersisted);
  });
});
