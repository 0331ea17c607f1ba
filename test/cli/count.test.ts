import { describe, expect, it } from "vitest";
import { count } from "../../src/cli/render/count.js";

describe("count", () => {
  it("groups digits in threes as en-US does, for every length", () => {
    for (const n of [0, 7, 42, 999, 1000, 12_345, 999_999, 1_000_000, 123_456_789, 9_007_199_254_740_991]) {
      expect(count(n)).toBe(n.toLocaleString("en-US"));
    }
  });
});
