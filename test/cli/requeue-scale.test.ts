import { describe, expect, it } from "vitest";
import { wouldRequeue } from "../../src/contract/schema/replay.js";
import { Leases } from "../../src/store/leases.js";
import { openDb } from "../../src/store/open.js";
import { countByStatus, requeueChunk } from "../../src/store/queue.js";
import { bulkDeliveries } from "../helpers/bulk-log.js";
import { runCli } from "../helpers/context.js";
import { shaped } from "../helpers/contract.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hook";
const t0 = 1_700_000_000_000;

function bulkLog(
  count: number,
  status: "succeeded" | "dead",
  more?: (db: ReturnType<typeof openDb>) => void,
) {
  const path = tempDb();
  const db = openDb(path);
  bulkDeliveries(db, { count, status, url, at: t0 });
  more?.(db);
  db.close();
  return path;
}

function counts(path: string) {
  const db = openDb(path);
  try {
    return countByStatus(db);
  } finally {
    db.close();
  }
}

describe("requeueing large selections", () => {
  it("--dry-run over 200,000 deliveries lists the first 100, counts the rest and changes nothing", async () => {
    const path = bulkLog(200_000, "succeeded");
    const result = await runCli(["--db", path, "replay", "--status", "succeeded", "--dry-run"]);
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trim().split("\n");
    expect(header).toMatch(/^id +status +event +endpoint +target$/);
    expect(rows).toHaveLength(100);
    expect(rows[0]).toMatch(/^dlv_bulk_000000000 +succeeded +bulk\.event +- +http:\/\/127\.0\.0\.1:9\/hook$/);
    expect(rows.at(-1)).toMatch(/^dlv_bulk_000000099 /);
    expect(result.stderr).toContain("… and 199,900 more; --json lists every one");
    expect(result.stderr).toContain("dry run: 200,000 deliveries would be requeued; nothing changed");
    expect(counts(path)).toMatchObject({ succeeded: 200_000, pending: 0 });
  });

  it("--dry-run says how many of the deliveries not listed would be skipped as in flight", async () => {
    let live = "";
    const path = bulkLog(100, "dead", (db) => {
      [live] = seedDeliveries(db, { url, now: t0 }) as [string];
      new Leases(db).claimById(live, { now: Date.now(), leaseMs: 60_000, token: "a" });
    });
    const ids = Array.from({ length: 100 }, (_, i) => `dlv_bulk_${String(i).padStart(9, "0")}`);
    const result = await runCli(["--db", path, "replay", ...ids, live, "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(101);
    expect(result.stderr).toContain("… and 1 more (1 in flight: would be skipped); --json lists every one");
    expect(result.stderr).toContain("dry run: 101 deliveries would be requeued");
  });

  it("--dry-run --json lists every one, in order, past a chunk", async () => {
    const count = requeueChunk + 5;
    const path = bulkLog(count, "dead");
    const result = await runCli(["--db", path, "--json", "dlq", "requeue", "--all", "--dry-run"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(count);
    const last = shaped(wouldRequeue, JSON.parse(lines.at(-1) as string));
    expect(last).toMatchObject({ outcome: "would-requeue", to: url, skipped: false });
    expect(last.delivery.id).toBe(`dlv_bulk_${String(count - 1).padStart(9, "0")}`);
    expect(result.stderr).toBe("");
    expect(counts(path)).toMatchObject({ dead: count });
  });

  it("requeues more than a chunk with one summary line, or one JSON object per delivery", async () => {
    const count = 2 * requeueChunk + 5;
    const human = bulkLog(count, "dead");
    const result = await runCli(["--db", human, "dlq", "requeue", "--all"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("requeued 4,005 deliveries");
    expect(counts(human)).toMatchObject({ dead: 0, pending: count });

    const json = bulkLog(count, "dead");
    const lines = (await runCli(["--db", json, "--json", "dlq", "requeue", "--all"])).stdout
      .trim()
      .split("\n");
    expect(lines).toHaveLength(count);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({
      outcome: "requeued",
      id: "dlv_bulk_000004004",
      previousStatus: "dead",
    });
  });
});
