import { describe, expect, it } from "vitest";
import { pruneResult } from "../../src/contract/schema/prune.js";
import { type Db, openDb } from "../../src/store/open.js";
import { pruneChunk } from "../../src/store/prune.js";
import { spawnBin } from "../helpers/bin.js";
import { bulkDeliveries } from "../helpers/bulk-log.js";
import { runCli } from "../helpers/context.js";
import { shaped } from "../helpers/contract.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hook";
const day = 86_400_000;
const now = Date.UTC(2026, 5, 1);
const clock = { now: () => now };

/** Two finished deliveries 40 days old (one event each), one pending and one finished yesterday. */
function seededLog() {
  const path = tempDb();
  const db = openDb(path);
  for (const status of ["succeeded", "dead"] as const) {
    const [id] = seedDeliveries(db, { url, now: now - 40 * day }) as [string];
    finishDelivery(db, id, status, now - 40 * day);
  }
  seedDeliveries(db, { url, now: now - 40 * day });
  const [recent] = seedDeliveries(db, { url, now: now - 2 * day }) as [string];
  finishDelivery(db, recent, "succeeded", now - day);
  db.close();
  return path;
}

function tally(path: string): Record<string, number> {
  const db = openDb(path, { readOnly: true });
  try {
    const count = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    return { deliveries: count("deliveries"), attempts: count("attempts"), events: count("events") };
  } finally {
    db.close();
  }
}

const expected = {
  cutoff: new Date(now - 30 * day).toISOString(),
  deliveries: 2,
  attempts: 2,
  events: 2,
  alerts: 0,
  received: null,
  freedBytes: null,
};

describe("hookctl log prune", () => {
  it("--dry-run counts what would go and changes nothing", async () => {
    const path = seededLog();
    const before = tally(path);
    const human = await runCli(["--db", path, "log", "prune", "--older-than", "30d", "--dry-run"], clock);
    expect(human.code).toBe(0);
    expect(human.stderr.trim()).toBe(
      `dry run: would delete 2 finished deliveries (2 attempts), 2 events, 0 sent alerts from before ${expected.cutoff}; captured requests kept (add --received); nothing changed`,
    );
    const json = await runCli(
      ["--db", path, "--json", "log", "prune", "--older-than", "30d", "--dry-run"],
      clock,
    );
    expect(json.code).toBe(0);
    expect(shaped(pruneResult, JSON.parse(json.stdout))).toEqual({ dryRun: true, ...expected });
    expect(tally(path)).toEqual(before);
  });

  it("refuses without --yes off a terminal (exit 2, one line), even with nothing to delete", async () => {
    const path = seededLog();
    for (const age of ["30d", "365d"]) {
      const result = await runCli(["--db", path, "log", "prune", "--older-than", age], {
        ...clock,
        stdin: "",
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        "hookctl: refusing to prune the log without --yes when not on a terminal — add --yes\n",
      );
    }
    expect(tally(path).deliveries).toBe(4);
  });

  it("asks on a terminal: y alone is yes, anything else keeps everything", async () => {
    const path = seededLog();
    const no = await runCli(["--db", path, "log", "prune", "--older-than", "30d"], {
      ...clock,
      tty: true,
      stdin: "\n",
    });
    expect(no.code).toBe(0);
    expect(no.stderr).toContain(
      "Delete 2 finished deliveries (2 attempts), 2 events, 0 sent alerts from before",
    );
    expect(no.stderr).toContain("nothing pruned");
    expect(tally(path).deliveries).toBe(4);
    const yes = await runCli(["--db", path, "log", "prune", "--older-than", "30d"], {
      ...clock,
      tty: true,
      stdin: "y\n",
    });
    expect(yes.code).toBe(0);
    expect(yes.stderr).toContain("pruned 2 finished deliveries (2 attempts), 2 events");
    expect(tally(path)).toEqual({ deliveries: 2, attempts: 1, events: 2 });
  });

  it("--yes --json prints one object with the counts; a second run finds nothing and exits 0", async () => {
    const path = seededLog();
    const argv = ["--db", path, "--json", "log", "prune", "--older-than", "30d", "--yes"];
    const first = await runCli(argv, clock);
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split("\n")).toHaveLength(1);
    expect(shaped(pruneResult, JSON.parse(first.stdout))).toEqual({ dryRun: false, ...expected });
    const again = await runCli([...argv, "--received", "--vacuum"], clock);
    expect(again.code).toBe(0);
    const result = shaped(pruneResult, JSON.parse(again.stdout));
    expect(result).toMatchObject({ deliveries: 0, attempts: 0, events: 0, received: 0 });
    expect(result.freedBytes).toBeGreaterThanOrEqual(0);
  });

  it("interrupted before a chunk commits: exit 130, nothing counted as pruned, a rerun finishes", async () => {
    const path = seededLog();
    const stop = new AbortController();
    stop.abort("SIGINT");
    const argv = ["--db", path, "--json", "log", "prune", "--older-than", "30d", "--yes"];
    const cut = await runCli(argv, { ...clock, signal: stop.signal });
    expect(cut.code).toBe(130);
    expect(shaped(pruneResult, JSON.parse(cut.stdout))).toMatchObject({ deliveries: 0, events: 0 });
    expect(cut.stderr).toContain("interrupted; run the same command again to prune the rest");
    expect(tally(path).deliveries).toBe(4);
    expect((await runCli(argv, clock)).code).toBe(0);
    expect(tally(path).deliveries).toBe(2);
  });

  it("bad input exits 2 with one line", async () => {
    const path = seededLog();
    const missing = await runCli(["--db", path, "log", "prune", "--yes"], clock);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--older-than");
    const bad = await runCli(["--db", path, "log", "prune", "--older-than", "soon", "--yes"], clock);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    const nowhere = await runCli(["--db", `${path}.missing`, "log", "prune", "--older-than", "1d", "--yes"]);
    expect(nowhere.code).toBe(2);
  });

  it("the built binary prunes a big log in chunks while another process keeps writing", async () => {
    const path = tempDb();
    const db = openDb(path);
    const count = pruneChunk * 10 + 7;
    bulkDeliveries(db, { count, status: "succeeded", url, at: Date.UTC(2020, 0, 1) });
    db.exec(`INSERT INTO attempts (delivery_id, number, trigger, url, request_headers, started_at, duration_ms, status_code)
      SELECT id, 1, 'initial', url, '{}', created_at, 5, 200 FROM deliveries`);
    const child = spawnBin(["--db", path, "--json", "log", "prune", "--older-than", "30d", "--yes"]);
    const out: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
    const err: Buffer[] = [];
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    let done = false;
    void exited.then(() => {
      done = true;
    });
    // What a replay or serve does meanwhile: short write transactions, each waiting on the lock
    // with the log's own busy timeout. One failing with SQLITE_BUSY would throw here.
    const bulkLeft = db
      .prepare("SELECT COUNT(*) FROM deliveries WHERE id >= 'dlv_bulk_' AND id < 'dlv_bulk`'")
      .pluck();
    let writes = 0;
    let midway = 0;
    while (!done) {
      write(db, writes++);
      const left = bulkLeft.get() as number;
      if (left > 0 && left < count) midway++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await exited).toBe(0);
    expect(Buffer.concat(err).toString()).toBe("");
    const result = shaped(pruneResult, JSON.parse(Buffer.concat(out).toString()));
    expect(result).toMatchObject({ deliveries: count, attempts: count, events: 1 });
    // Writes went in between chunks, not only before or after the prune.
    expect(midway).toBeGreaterThan(0);
    // Every write survived: old as they are, pending deliveries are never pruned.
    expect(db.prepare("SELECT COUNT(*) FROM deliveries").pluck().get()).toBe(writes);
    db.close();
  });
});

function write(db: Db, n: number): void {
  seedDeliveries(db, { url, now: Date.UTC(2020, 0, 1), ids: [`dlv_writer_${String(n).padStart(6, "0")}`] });
}
