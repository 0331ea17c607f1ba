import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { durationArg, durationAtLeast, rateArg, timerArg } from "../../src/cli/parsers.js";
import { maxDurationMs, maxTimerMs } from "../../src/config/duration.js";
import { runCli } from "../helpers/context.js";
import { tempDb } from "../helpers/tmp.js";

const day = 86_400_000;

describe("duration and rate bounds", () => {
  it("a timer waits at most 24 days, under Node's 2^31-1 ms", () => {
    expect(maxTimerMs).toBeLessThan(2 ** 31 - 1);
    expect(timerArg("24d")).toBe(24 * day);
    expect(timerArg(`${24 * day}ms`)).toBe(24 * day);
    expect(() => timerArg(`${24 * day + 1}ms`)).toThrow(/at most 24d/);
    expect(() => timerArg("25d")).toThrow(InvalidArgumentError);
  });

  it("other durations go up to 100 years, so now ± the duration is still a date", () => {
    expect(durationArg("36500d")).toBe(maxDurationMs);
    expect(Number.isNaN(new Date(Date.now() + maxDurationMs).getTime())).toBe(false);
    expect(Number.isNaN(new Date(Date.now() - maxDurationMs).getTime())).toBe(false);
    expect(() => durationArg("36501d")).toThrow(/at most 36500d/);
    expect(() => durationArg("999999999d")).toThrow(/at most 36500d/);
    // Too many digits for a number at all: refused as not a duration, never Infinity.
    expect(() => durationArg(`${"9".repeat(400)}d`)).toThrow(/expected a duration/);
  });

  it("a retention has a floor: relay --keep 0 would delete requests before any listener got them", async () => {
    expect(durationAtLeast(60_000)("1m")).toBe(60_000);
    expect(() => durationAtLeast(60_000)("59s")).toThrow(/expected at least 1m/);
    const refused = await runCli(["--db", tempDb(), "relay", "--keep", "0"]);
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({
      code: 2,
      stderr:
        "hookctl: option '--keep <duration>' argument '0' is invalid. expected at least 1m — see hookctl relay --help\n",
    });
  });

  it("a rate gives at least one send per 24 days", () => {
    expect(rateArg("10/s")).toBe(10);
    expect(rateArg("0.002/h")).toBeCloseTo(0.002 / 3600);
    expect(() => rateArg("0.0017/h")).toThrow(/one per 24 days/);
    expect(() => rateArg("0.0001/h")).toThrow(/one per 24 days/);
    expect(() => rateArg(`${"9".repeat(400)}/s`)).toThrow(/expected a rate/);
  });
});
