import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { demoSummary } from "../../src/contract/schema/tools.js";
import { runBin } from "../helpers/bin.js";
import { shaped } from "../helpers/contract.js";
import { tempDir } from "../helpers/tmp.js";

describe("hookctl demo (built binary, no TTY)", () => {
  it("runs the whole loop and ends with the summary it promises", async () => {
    const db = join(tempDir(), "demo.db");
    const result = await runBin(["--db", db, "demo"], { timeoutMs: 90_000, env: { NO_COLOR: "1" } });
    expect(result.stderr).not.toMatch(/did not expect|unexpected error/);
    expect(result.code).toBe(0);
    // Plain lines in a pipe with NO_COLOR: no escape sequences, no redrawn status line.
    expect(result.stdout.includes("\u001b[")).toBe(false);
    expect(result.stdout).toMatch(/demo-shop\s+healthy\s+order\.created\s+delivered first time/);
    expect(result.stdout).toMatch(/demo-billing\s+.*delivered after 3 attempts/);
    expect(result.stdout).toMatch(/demo-crm\s+.*delivered after 2 attempts/);
    expect(result.stdout).toMatch(/demo-legacy\s+.*dead letter \(410 Gone\)/);
    expect(result.stdout).toMatch(/demo-refunds\s+.*dead letter after 5 attempts/);
    expect(result.stdout).toContain("delivered first time: 2 · delivered after retries: 2");
    expect(result.stdout).toContain(`hookctl inspect --db ${db}`);

    // The log it leaves behind holds what the summary says, receivers' captures included.
    const log = new Database(db, { readonly: true });
    const byStatus = Object.fromEntries(
      (
        log.prepare("SELECT status, count(*) AS n FROM deliveries GROUP BY status").all() as {
          status: string;
          n: number;
        }[]
      ).map((row) => [row.status, row.n]),
    );
    expect(byStatus).toEqual({ succeeded: 4, dead: 2 });
    expect(log.prepare("SELECT count(*) FROM attempts").pluck().get()).toBe(2 + 3 + 2 + 1 + 5);
    expect(log.prepare("SELECT count(*) FROM received WHERE verification = 'verified'").pluck().get()).toBe(
      13,
    );
    // The 429's Retry-After (2 s) pushed the retry later than the policy's 200 ms.
    const crm = log
      .prepare(
        "SELECT a.started_at FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN endpoints e ON e.id = d.endpoint_id WHERE e.name = 'demo-crm' ORDER BY a.number",
      )
      .pluck()
      .all() as number[];
    expect((crm[1] as number) - (crm[0] as number)).toBeGreaterThanOrEqual(1900);
    log.close();
  });

  it("refuses to run twice on the same log", async () => {
    const db = join(tempDir(), "demo.db");
    const first = await runBin(["--db", db, "demo", "--json"], { timeoutMs: 90_000 });
    expect(first.code).toBe(0);
    const summary = shaped(demoSummary, JSON.parse(first.stdout));
    expect(summary).toMatchObject({
      db,
      deliveredFirstTime: 2,
      deliveredAfterRetries: 2,
      dead: 2,
      asExpected: true,
    });
    expect(summary.deliveries.find((d) => d.endpoint === "demo-legacy")).toMatchObject({
      status: "dead",
      lastStatusCode: 410,
    });
    const again = await runBin(["--db", db, "demo"]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split("\n")).toHaveLength(1);
    expect(again.stderr).toMatch(
      /already has the demo's endpoint .* — run the demo on a fresh log \(omit --db\)$/m,
    );
    // Chosen by HOOKCTL_DB, not --db: the hint names what to change.
    const byEnv = await runBin(["demo"], { env: { HOOKCTL_DB: db } });
    expect(byEnv.code).toBe(2);
    expect(byEnv.stderr).toMatch(
      /— run the demo on a fresh log \(unset HOOKCTL_DB, or point it at a new file\)$/m,
    );
  });
});
