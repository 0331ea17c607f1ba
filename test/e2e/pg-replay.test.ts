import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/receiver/prng.js";
import { openDb } from "../../src/store/open.js";
import type { PgPool } from "../../src/store/pg/connect.js";
import { runBin, spawnBin, waitFor } from "../helpers/bin.js";
import { maskedJson } from "../helpers/masked-json.js";
import { pgPassword, postgresForFile } from "../helpers/pg.js";
import { seedPgDeliveries } from "../helpers/pg-log.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

const pg = postgresForFile();
const total = 5000;

let receiver: ScriptedReceiver | undefined;
let gone: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  await gone?.close();
  receiver = undefined;
  gone = undefined;
});

/** A fresh PostgreSQL log holding `total` due deliveries to the receiver (plain SQL, no command). */
async function seededLog(url: string): Promise<{ db: string; pool: PgPool; ids: string[] }> {
  const { url: db, pool } = await pg.pool(undefined, 2);
  const ids = await seedPgDeliveries(pool, { url, now: Date.now(), count: total, timeoutMs: 1000 });
  return { db, pool, ids };
}

async function statuses(pool: PgPool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    "SELECT status, count(*)::int AS n FROM deliveries GROUP BY status",
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

async function attemptsPerDelivery(pool: PgPool): Promise<number[]> {
  const { rows } = await pool.query<{ n: number }>(
    "SELECT count(a.id)::int AS n FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id GROUP BY d.id",
  );
  return [...new Set(rows.map((row) => row.n))].sort();
}

/** Hits per delivery id, and the ids that arrived more than once. */
function copies(hits: ScriptedReceiver["hits"]): { perId: Map<string, number>; repeated: string[] } {
  const perId = new Map<string, number>();
  for (const hit of hits) perId.set(hit.deliveryId, (perId.get(hit.deliveryId) ?? 0) + 1);
  return { perId, repeated: [...perId].filter(([, n]) => n > 1).map(([id]) => id) };
}

const replayArgs = (db: string) => ["replay", "--db", db, "--concurrency", "16", "--lease-margin", "300ms"];

describe("three replay processes on one PostgreSQL log", () => {
  it("deliver 5,000 deliveries with no delivery made twice while all are healthy", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const { db, pool, ids } = await seededLog(receiver.url);
    const runs = await Promise.all([0, 1, 2].map(() => runBin(replayArgs(db), { timeoutMs: 120_000 })));
    for (const run of runs) {
      expect(run.stderr).not.toMatch(/error/i);
      expect(run.code).toBe(0);
      expect(`${run.stdout}${run.stderr}`).not.toContain(":password@");
    }
    expect(await statuses(pool)).toEqual({ succeeded: total });
    expect(await attemptsPerDelivery(pool)).toEqual([1]);
    const { perId, repeated } = copies(receiver.hits);
    expect(repeated).toEqual([]);
    expect([...perId.keys()].sort()).toEqual([...ids].sort());
  }, 180_000);

  it("lose nothing when one of them is killed with SIGKILL at random moments and started again", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200, delayMs: 5 }));
    const { db, pool, ids } = await seededLog(receiver.url);
    const random = mulberry32(17);
    const start = () => {
      const child = spawnBin(replayArgs(db));
      // Drained so a chatty run never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
      const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
      return { child, exited };
    };
    const procs: { child: ChildProcess; exited: Promise<number | null> }[] = [start(), start(), start()];
    // What was in flight just after each kill: the only deliveries that may arrive twice.
    const inFlightAtKills = new Set<string>();
    let kills = 0;
    for (let round = 0; round < 4; round++) {
      const hitsBefore = receiver.hits.length;
      const waitForHits = 300 + Math.floor(random() * 900);
      // A moment while deliveries are going out (not a fixed sleep: counted in hits).
      while (receiver.hits.length < Math.min(total, hitsBefore + waitForHits)) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if ((await statuses(pool)).succeeded === total) break;
      }
      if ((await statuses(pool)).succeeded === total) break;
      const victim = Math.floor(random() * procs.length);
      const proc = procs[victim] as (typeof procs)[number];
      proc.child.kill("SIGKILL");
      await proc.exited;
      kills++;
      const { rows } = await pool.query<{ id: string }>(
        "SELECT id FROM deliveries WHERE status = 'in_flight'",
      );
      for (const row of rows) inFlightAtKills.add(row.id);
      procs[victim] = start();
    }
    const codes = await Promise.all(procs.map((proc) => proc.exited));
    expect(codes).toEqual([0, 0, 0]);
    expect(kills).toBeGreaterThan(0);

    // Every delivery ended (all succeed here), each recorded once: a killed holder wrote nothing.
    expect(await statuses(pool)).toEqual({ succeeded: total });
    expect(await attemptsPerDelivery(pool)).toEqual([1]);
    const { perId, repeated } = copies(receiver.hits);
    expect([...perId.keys()].sort()).toEqual([...ids].sort());
    // Duplicates are at-least-once's: attempts a killed process had claimed and not committed,
    // sent again under the same delivery id with the same bytes.
    for (const id of repeated) expect(inFlightAtKills.has(id)).toBe(true);
    for (const id of repeated) {
      const bodies = receiver.hits
        .filter((hit) => hit.deliveryId === id)
        .map((hit) => hit.body.toString("hex"));
      expect(new Set(bodies).size).toBe(1);
    }
  }, 240_000);
});

/** stdout's JSON lines, masked, in a stable order (attempts of one batch finish in any order). */
function jsonLines(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.stringify(maskedJson(JSON.parse(line))).replace(/cat >> [^"\\]+/g, "cat >> <file>"))
    .sort();
}

describe("replay on PostgreSQL as on SQLite", () => {
  it("runs the schedule, alerts the dead (--on-dead) and requeues by id and by status, printing the same JSON", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    gone = await startScriptedReceiver(() => ({ status: 410 }));
    const now = Date.now();
    const scenario = async (db: string, seed: (url: string) => Promise<string>) => {
      const ok = await seed(receiver?.url as string);
      const dead = await seed(gone?.url as string);
      const alertsFile = join(tempDir(), "alerts.jsonl");
      const run = async (args: string[]) => {
        const result = await runBin(["--db", db, ...args], { timeoutMs: 60_000 });
        expect(`${result.stdout}${result.stderr}`).not.toContain(pgPassword);
        return { code: result.code, json: jsonLines(result.stdout) };
      };
      const steps = [
        await run(["replay", "--json", "--on-dead", `cat >> ${alertsFile}`]),
        await run(["replay", "--status", "dead", "--dry-run", "--json"]),
        await run(["replay", dead.slice(-8), "--to", receiver?.url as string, "--json"]),
        await run(["replay", "--status", "succeeded", "--endpoint", "nope", "--json"]).catch((e) => e),
        await run(["replay", "--status", "dead", "--json"]),
      ];
      const alerts = readFileSync(alertsFile, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(alerts).toMatchObject([
        { type: "delivery.dead", deliveryId: dead, delivery: { status: "dead" } },
      ]);
      return { steps, ok };
    };
    const path = tempDb();
    const sqlite = openDb(path);
    const onSqlite = await scenario(
      path,
      async (url) => seedDeliveries(sqlite, { url, now, count: 1 })[0] as string,
    );
    sqlite.close();
    const { url: db, pool } = await pg.pool(undefined, 2);
    const onPg = await scenario(
      db,
      async (url) => (await seedPgDeliveries(pool, { url, now, count: 1 }))[0] as string,
    );
    expect(onPg.steps).toEqual(onSqlite.steps);
    expect(onPg.steps.map((step) => step.code)).toEqual([1, 0, 0, 2, 0]);
    // Requeued sets were the run's own rows, gone with it.
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM scope_sets");
    expect(rows[0]?.n).toBe(0);
  }, 120_000);

  it("SIGINT: exits 130 and leaves no requeued set behind", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const { url: db, pool } = await pg.pool(undefined, 2);
    const [id] = await seedPgDeliveries(pool, { url: receiver.url, now: Date.now(), count: 1 });
    expect((await runBin(["replay", "--db", db], { timeoutMs: 60_000 })).code).toBe(0);
    const watcher = spawnBin(["replay", id as string, "--watch", "--db", db]);
    let stderr = "";
    watcher.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    watcher.stdout?.resume();
    const exited = new Promise<number | null>((resolve) => watcher.once("close", (code) => resolve(code)));
    await waitFor(
      () => (stderr.includes("watching for new deliveries") ? true : undefined),
      30_000,
      "watching",
    );
    expect(receiver.count(id as string)).toBe(2);
    watcher.kill("SIGINT");
    expect(await exited).toBe(130);
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM scope_sets");
    expect(rows[0]?.n).toBe(0);
    expect(stderr).not.toContain(pgPassword);
  }, 60_000);
});
