import { describe, expect, it } from "vitest";
import { Histogram } from "../../src/delivery/latency.js";

describe("Histogram", () => {
  it("lists status codes first in numeric order, then error classes alphabetically", () => {
    const histogram = new Histogram();
    for (const key of ["timeout", "503", "200", "refused", "1000", "429", "200", "dns"]) histogram.add(key);
    expect(histogram.entries()).toEqual([
      ["200", 2],
      ["429", 1],
      ["503", 1],
      ["1000", 1],
      ["dns", 1],
      ["refused", 1],
      ["timeout", 1],
    ]);
  });
});
