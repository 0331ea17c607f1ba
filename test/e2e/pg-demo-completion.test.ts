import { describe, expect, it } from "vitest";
import { connectPg } from "../../src/store/pg/connect.js";
import { runBin } from "../helpers/bin.js";
import { pgPassword, postgresForFile } from "../helpers/pg.js";

const pg = postgresForFile();

describe("demo and completion on a PostgreSQL log (built binary)", () => {
  it("demo runs the whole loop into the database, the URL shown masked", async () => {
    const url = await pg.database();
    const result = await runBin(["--db", url, "demo"], { timeoutMs: 90_000, env: { NO_COLOR: "1" } });
    expect(result.stderr).not.toMatch(/did not expect|unexpected error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/demo-legacy\s+.*dead letter \(410 Gone\)/);
    expect(result.stdout).toContain("delivered first time: 2 · delivered after retries: 2");
    expect(result.stdout).toContain("postgres://postgres:***@127.0.0.1:");
    // The commands to paste name the log without its password (a pasted *** would not log in).
    expect(result.stdout).toMatch(/hookctl log --db postgres:\/\/postgres@127\.0\.0\.1:\d+\//);
    expect(result.stderr).toContain("leave the log's password out: set PGPASSWORD");
    expect(`${result.stdout}${result.stderr}`).not.toContain(`:${pgPassword}@`);

    const pool = await connectPg(url, { migrate: false });
    pg.defer(() => pool.end());
    const { rows } = await pool.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM deliveries GROUP BY status ORDER BY status",
    );
    expect(rows).toEqual([
      { status: "dead", n: 2 },
      { status: "succeeded", n: 4 },
    ]);
    const attempts = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM attempts");
    expect(attempts.rows[0]?.n).toBe(2 + 3 + 2 + 1 + 5);
    const captured = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM received WHERE verification = 'verified'",
    );
    expect(captured.rows[0]?.n).toBe(13);

    const again = await runBin(["--db", url, "demo"], { timeoutMs: 30_000 });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already has the demo's endpoint");
    expect(again.stderr).not.toContain(`:${pgPassword}@`);
  });

  it("completion lists the endpoints of a PostgreSQL log, and nothing for an unreachable one", async () => {
    const url = await pg.database();
    const added = await runBin(["--db", url, "endpoint", "add", "orders", "--url", "http://127.0.0.1:9/h"]);
    expect(added.code).toBe(0);
    const listed = await runBin(["--db", url, "completion", "--list", "endpoints"]);
    expect(listed).toMatchObject({ code: 0, stdout: "orders\n", stderr: "" });
    const unreachable = url.replace(/:\d+\//, ":1/");
    const none = await runBin(["--db", unreachable, "completion", "--list", "endpoints"]);
    expect(none).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });
});
