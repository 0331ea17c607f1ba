import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { openDb } from "../../src/store/open.js";
import { waitFor } from "../helpers/bin.js";
import { postgresForFile } from "../helpers/pg.js";
import { startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { fakeTerminal } from "../helpers/terminal.js";
import { tempDb } from "../helpers/tmp.js";
import { copyLog } from "../tui/pg-copy.js";
import { seedDead, seedDelivery } from "../tui/seed.js";

/**
 * `hookctl inspect` on PostgreSQL, run as a user runs it. Nothing here imports Ink before the
 * command does: Ink decides whether it is in CI when first loaded, and the command loads it as
 * interactive even where CI is set (as CI sets it for this suite).
 */
const pg = postgresForFile();

describe("hookctl --db postgres://… inspect", () => {
  it("draws the log, exits 0 on q and 130 on Ctrl+C, closes its pool, and never shows the password", async () => {
    const db = openDb(tempDb());
    seedDead(db, 3);
    const { pool, url } = await pg.pool();
    await copyLog(db, pool);
    db.close();
    const database = new URL(url).pathname.slice(1);
    const connections = async () =>
      (
        await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [database],
        )
      ).rows[0]?.n;

    const before = await connections();
    const first = fakeTerminal(100, 30);
    const running = run(["--db", url, "inspect"], first.ctx);
    await waitFor(() => (first.stdout().includes("[Dead 3]") ? true : undefined), 10_000, "the first frame");
    expect(first.stdout()).toContain("order.created.2");
    first.stdin.write("q");
    expect(await running).toBe(0);

    const second = fakeTerminal(100, 30);
    const again = run(["--db", url, "inspect", "--status", "all"], second.ctx);
    await waitFor(() => (second.stdout().includes("[All 3]") ? true : undefined), 10_000, "the all tab");
    second.stdin.write("\u0003");
    expect(await again).toBe(130);

    // Only this test's own pool is left connected: inspect's pool ended on exit.
    await waitFor(
      async () => ((await connections()) === before ? true : undefined),
      10_000,
      "inspect's connections to close",
    );
    for (const output of [first.stdout(), first.stderr(), second.stdout(), second.stderr()]) {
      expect(output).not.toContain("password");
    }
  });

  it("r sends the selected dead letter at once and records the attempt in the PostgreSQL log", async () => {
    const receiver = await startScriptedReceiver(() => ({ status: 200 }));
    try {
      const db = openDb(tempDb());
      seedDead(db, 2);
      const id = seedDelivery(db, { url: receiver.url, type: "retry.me", agoMs: 0 });
      const { pool, url } = await pg.pool();
      await copyLog(db, pool);
      db.close();
      const { ctx, stdin, stdout } = fakeTerminal(100, 30);
      const running = run(["--db", url, "inspect"], ctx);
      await waitFor(() => (stdout().includes("retry.me") ? true : undefined), 10_000, "the list");
      stdin.write("r");
      await waitFor(() => (stdout().includes("succeeded") ? true : undefined), 10_000, "the attempt");
      stdin.write("q");
      expect(await running).toBe(0);
      expect(receiver.count(id)).toBe(1);
      const { rows } = await pool.query<{ trigger: string }>(
        "SELECT trigger FROM attempts WHERE delivery_id = $1 ORDER BY number",
        [id],
      );
      expect(rows.map((row) => row.trigger)).toEqual(["initial", "manual"]);
    } finally {
      await receiver.close();
    }
  });
});
