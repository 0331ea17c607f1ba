import { describe, expect, it } from "vitest";
import { type BinResult, runBin } from "../helpers/bin.js";
import { tempDb } from "../helpers/tmp.js";

// Nothing listens on the discard port: attempts fail at once, so no test waits on a timer.
const url = "http://127.0.0.1:9/";

function expectRefused(result: BinResult, flag: string) {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.split("\n")).toHaveLength(2);
  expect(result.stderr).toContain(flag);
  expect(result.stderr).not.toMatch(/TimeoutOverflowWarning|NaN|Invalid/);
}

describe("durations and rates are bounded to what their use can honour", () => {
  it("a timeout or delay one timer waits is at most 24d: longer is one line, exit 2", async () => {
    const db = tempDb();
    const cases: [string, string[]][] = [
      ["--timeout", ["send", url, "--data", "x", "--timeout", "25d"]],
      ["--timeout", ["endpoint", "add", "slow", "--url", url, "--timeout", "25d"]],
      ["--delay", ["listen", "--port", "0", "--delay", "25d"]],
      ["--header-timeout", ["listen", "--port", "0", "--header-timeout", "999999999d"]],
      ["--request-timeout", ["listen", "--port", "0", "--request-timeout", "30d"]],
    ];
    for (const [flag, argv] of cases) {
      const result = await runBin(argv, { env: { HOOKCTL_DB: db } });
      expectRefused(result, flag);
      expect(result.stderr).toMatch(/at most 24d/);
    }
  });

  it("a rate slower than one send per 24 days is one line, exit 2", async () => {
    const db = tempDb();
    for (const argv of [
      ["send", url, "--data", "x", "--rate", "0.0001/h"],
      ["endpoint", "add", "trickle", "--url", url, "--rate", "0.001/h"],
    ]) {
      const result = await runBin(argv, { env: { HOOKCTL_DB: db } });
      expectRefused(result, "--rate");
      expect(result.stderr).toMatch(/one per 24 days/);
    }
  });

  it("retry delays, ages, periods and tolerances are at most 36500d: longer is one line, exit 2", async () => {
    const db = tempDb();
    const cases: [string, string[]][] = [
      ["--initial", ["backoff", "--initial", "999999999d"]],
      ["--max-delay", ["backoff", "--max-delay", "36501d"]],
      ["--initial", ["send", url, "--data", "x", "--initial", "999999999d", "--max-delay", "999999999d"]],
      ["--since", ["log", "--since", "999999999d"]],
      ["--since", ["replay", "--since", "999999999d", "--dry-run"]],
      ["--older-than", ["dlq", "purge", "--older-than", "999999999d", "--dry-run"]],
      ["--grace", ["endpoint", "rotate-secret", "orders", "--grace", "999999999d"]],
      ["--tolerance", ["verify", "--data", "x", "--secret", "s", "--tolerance", "999999999d"]],
    ];
    for (const [flag, argv] of cases) {
      const result = await runBin(argv, { env: { HOOKCTL_DB: db } });
      expectRefused(result, flag);
      expect(result.stderr).toMatch(/at most 36500d/);
    }
  });

  it("the longest accepted values work: no overflow warning, and the log stays readable", async () => {
    const env = { HOOKCTL_DB: tempDb() };
    const sent = await runBin(
      [
        "send",
        url,
        "--data",
        "{}",
        "--timeout",
        "24d",
        "--rate",
        "0.002/h",
        "--initial",
        "36500d",
        "--max-delay",
        "36500d",
        "--json",
      ],
      { env },
    );
    expect(sent.code, sent.stderr).toBe(1);
    expect(sent.stderr).not.toMatch(/TimeoutOverflowWarning|NaN/);

    const log = await runBin(["log", "--since", "36500d", "--json"], { env });
    expect(log.code, log.stderr).toBe(0);
    const [row] = log.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { nextAttemptAt: string });
    const next = Date.parse(row?.nextAttemptAt ?? "");
    // About a hundred years out (the jitter moves it by up to a fifth, under the same cap).
    expect(next).toBeGreaterThan(Date.now() + 36_500 * 86_400_000 * 0.79);

    const purge = await runBin(["dlq", "purge", "--older-than", "36500d", "--dry-run"], { env });
    expect(purge.code, purge.stderr).toBe(0);
    const backoff = await runBin(["backoff", "--initial", "36500d", "--max-delay", "36500d", "--json"], {
      env,
    });
    expect(backoff.code, backoff.stderr).toBe(0);
    expect(backoff.stdout).not.toMatch(/NaN|null/);
  });
});
