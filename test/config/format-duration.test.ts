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
});
