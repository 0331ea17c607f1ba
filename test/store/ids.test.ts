import { describe, expect, it } from "vitest";
import { newId } from "../../src/store/ids.js";

const bytes = (values: number[]) => () => Uint8Array.from(values);

describe("newId", () => {
  it("is a prefixed ULID: 10 time digits then 16 random digits in Crockford base 32", () => {
    // The time digits of the ULID spec's example (2016-07-30T23:54:10.385Z).
    expect(newId("dlv", 1469918176385, bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toBe(
      "dlv_01ARYZ6S41041061050R3GG28A",
    );
    expect(newId("evt", 0, bytes(Array(10).fill(0)))).toBe("evt_00000000000000000000000000");
    expect(newId("ep", 0, bytes(Array(10).fill(255)))).toBe("ep_0000000000ZZZZZZZZZZZZZZZZ");
  });

  it("sorts by creation time, whatever the random part", () => {
    const early = newId("dlv", 1_790_000_000_000, bytes(Array(10).fill(255)));
    const later = newId("dlv", 1_790_000_000_001, bytes(Array(10).fill(0)));
    expect(early < later).toBe(true);
    // Ids of one millisecond share their time digits (cached), and differ in the random ones.
    const a = newId("dlv", 1_790_000_000_001, bytes([9, 9, 9, 9, 9, 9, 9, 9, 9, 9]));
    expect(a.slice(0, 14)).toBe(later.slice(0, 14));
    expect(a).not.toBe(later);
  });
});
