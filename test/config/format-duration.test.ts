import { describe, expect, it } from "vitest";
import { formatDuration } from "../../src/config/duration.js";

describe("formatDuration", () => {
  it("never shows a unit rounded up to the next one's size", () => {
    expect(formatDuration(599 * 3_600_000 + 59.7 * 60_000)).toBe("25d");
    expect(formatDuration(47 * 3_600_000 + 59.9 * 60_000)).toBe("2d");
    expect(formatDuration(59_999)).toBe("1m");
    expect(formatDuration(999.6)).toBe("1s");
    expect(formatDuration(3_599_000)).toBe("1h");
  });

  it("reads short and human at every scale", () => {
    expect(
      [0, 95, 1200, 38_000, 95_000, 6_000_000, 3 * 86_400_000 + 2 * 3_600_000].map(formatDuration),
    ).toEqual(["0ms", "95ms", "1.2s", "38s", "1.6m", "1h 40m", "3d 2h"]);
  });

  it("is the one format for latencies too: a tenth of a millisecond below 10ms, never a space", () => {
    expect([0.04, 0.4, 6, 6.14, 9.94, 9.96, 34.4, 999.4, 1234].map(formatDuration)).toEqual([
      "0ms",
      "0.4ms",
      "6ms",
      "6.1ms",
      "9.9ms",
      "10ms",
      "34ms",
      "999ms",
      "1.2s",
    ]);
  });

  it("prints the flag defaults as they are typed", () => {
    expect([300_000, 86_400_000, 10_000, 3_600_000].map(formatDuration)).toEqual(["5m", "24h", "10s", "1h"]);
  });
});
