import { describe, expect, it } from "vitest";
import { type BinResult, runBin } from "../helpers/bin.js";
import { masked, type Scenario, scenarioAt } from "../helpers/log-scenario.js";
import { pgPassword, postgresForFile } from "../helpers/pg.js";
import { tempDb } from "../helpers/tmp.js";

const pg = postgresForFile();

const suffix = (id: string) => id.slice(-8);

/** One session of `log` and `dlq` commands over a scenario log, in order (later ones change it). */
function session(s: Scenario): string[][] {
  const dead = s.dead[0] as string;
  return [
    ["log", "--json"],
    ["log"],
    ["log", "--json", "--event", "order.*"],
    ["log", "--json", "--status", "dead", "--limit", "2"],
    ["log", "--json", "--endpoint", "orders"],
    ["log", "--endpoint", "nope"],
    ["log", "show", suffix(dead), "--json"],
    ["log", "show", suffix(s.leased)],
    ["log", "show", "ZZZZZZZZ"],
    ["dlq", "list", "--json"],
    ["dlq", "list"],
    ["dlq", "list", "--json", "--event", "Order.*"],
    ["dlq", "list", "--json", "--endpoint", "orders"],
    ["dlq", "show", suffix(s.deadBare), "--json"],
    ["dlq", "show", s.succeeded],
    ["dlq", "requeue", "--all", "--dry-run", "--json"],
    ["dlq", "requeue", "--all", "--dry-run"],
    ["dlq", "requeue", "--all", "--endpoint", "orders", "--dry-run", "--json"],
    ["dlq", "requeue", suffix(dead), "--to", "http://127.0.0.1:10/elsewhere", "--json"],
    ["dlq", "requeue", s.leased],
    ["dlq", "purge", "--all", "--dry-run", "--json"],
    ["dlq", "purge", "--all"],
    ["dlq", "purge", "--all", "--yes", "--json"],
    ["dlq", "purge", "--all", "--yes"],
    ["log", "--json"],
  ];
}

async function runSession(target: string): Promise<BinResult[]> {
  const s = await scenarioAt(target);
  const results: BinResult[] = [];
  for (const args of session(s)) results.push(await runBin([...args, "--db", target]));
  return results;
}

const shown = (results: readonly BinResult[], s: readonly string[][]) =>
  results.map((result, i) => ({
    args: masked((s[i] as string[]).slice(0, 2).join(" ")),
    code: result.code,
    stdout: masked(result.stdout),
    stderr: masked(result.stderr),
  }));

describe("log and dlq on a PostgreSQL log", () => {
  it("give what they give on a SQLite file: the same output, exit codes and errors (ids and clock times masked)", async () => {
    const url = await pg.database();
    const [sqlite, postgres] = [await runSession(tempDb()), await runSession(url)];
    const commands = session({ dead: ["x"], deadBare: "x", succeeded: "x", pending: "x", leased: "x" });
    const lite = shown(sqlite, commands);
    // The scenario did happen (not two empty logs agreeing).
    expect(lite[0]?.stdout.split("\n").filter(Boolean)).toHaveLength(6);
    expect(lite[8]).toMatchObject({ code: 2 });
    expect(lite[5]).toMatchObject({ code: 2, stderr: expect.stringContaining("known endpoints: orders") });
    expect(lite[14]).toMatchObject({ code: 2, stderr: expect.stringContaining("is not a dead letter") });
    expect(lite[18]?.stdout).toContain('"outcome":"requeued"');
    expect(lite[22]?.stdout).toContain('"purged":2');
    expect(shown(postgres, commands)).toEqual(lite);
    for (const result of postgres) expect(`${result.stdout}${result.stderr}`).not.toContain(pgPassword);
  }, 240_000);

  it("never shows the password of the URL, in a refusal or a failure to connect", async () => {
    const url = await pg.database();
    const missing = url.replace(/\/[^/]+$/, "/no_such_log");
    const refused = await runBin(["dlq", "list", "--db", missing]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("postgres://postgres:***@");
    const unreachable = await runBin([
      "log",
      "--db",
      `postgres://postgres:${pgPassword}@127.0.0.1:1/hookctl`,
    ]);
    expect(unreachable.code).toBe(2);
    for (const result of [refused, unreachable]) {
      expect(`${result.stdout}${result.stderr}`).not.toContain(pgPassword);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
