import { describe, expect, it } from "vitest";
import { backoffSchedule } from "../../src/contract/schema/tools.js";
import { runCli } from "../helpers/context.js";
import { shaped } from "../helpers/contract.js";

describe("hookctl backoff", () => {
  it("prints the default schedule: 10 retries from 1s to the 60m cap, about 1h 40m in all", async () => {
    const result = await runCli(["backoff"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/first attempt immediately; factor 2\.484, jitter ±20%, cap 1h/);
    expect(lines[1]).toMatch(/^retry\s+delay\s+jitter range\s+cumulative$/);
    expect(lines[2]).toMatch(/^\s+1\s+1s\s+800ms – 1\.2s\s+1s$/);
    expect(lines[11]).toMatch(/^\s*10\s+1h\s+48m – 1h\s+1h 40m$/);
    expect(lines[12]).toBe("dead after 10 retries, about 1h 40m after the first attempt");
  });

  it("--json gives exact numbers for each retry", async () => {
    const result = await runCli([
      "backoff",
      "--retries",
      "3",
      "--initial",
      "500ms",
      "--factor",
      "2",
      "--jitter",
      "0.1",
      "--json",
    ]);
    expect(result.code).toBe(0);
    expect(shaped(backoffSchedule, JSON.parse(result.stdout))).toEqual({
      policy: { retries: 3, initialMs: 500, maxDelayMs: 3_600_000, factor: 2, jitter: 0.1, retry4xx: false },
      retries: [
        { retry: 1, delayMs: 500, minMs: 450, maxMs: 550, cumulativeMs: 500 },
        { retry: 2, delayMs: 1000, minMs: 900, maxMs: 1100, cumulativeMs: 1500 },
        { retry: 3, delayMs: 2000, minMs: 1800, maxMs: 2200, cumulativeMs: 3500 },
      ],
      totalMs: 3500,
    });
  });

  it("caps every delay and its jitter range at --max-delay", async () => {
    const result = await runCli([
      "--json",
      "backoff",
      "--retries",
      "4",
      "--initial",
      "1s",
      "--factor",
      "10",
      "--max-delay",
      "30s",
    ]);
    const { retries } = shaped(backoffSchedule, JSON.parse(result.stdout));
    expect(retries.map((r) => r.delayMs)).toEqual([1000, 10_000, 30_000, 30_000]);
    expect(retries.every((r) => r.maxMs <= 30_000)).toBe(true);
  });

  it("with --retries 0 says a failure is dead at once", async () => {
    const result = await runCli(["backoff", "--retries", "0"]);
    expect(result.stdout).toMatch(/no retries: a failed first attempt is dead at once/);
  });

  it("rejects an impossible policy with one line and exit 2", async () => {
    for (const argv of [
      ["--initial", "2h"],
      ["--jitter", "1.5"],
      ["--retries", "-1"],
      ["--factor", "0.5"],
    ]) {
      const result = await runCli(["backoff", ...argv]);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("documents the policy flags with examples", async () => {
    const result = await runCli(["backoff", "--help"]);
    for (const flag of ["--retries", "--initial", "--max-delay", "--factor", "--jitter"])
      expect(result.stdout).toContain(flag);
    expect(result.stdout).toContain("Examples:");
  });
});
