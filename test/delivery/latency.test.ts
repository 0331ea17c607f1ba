import { describe, expect, it } from "vitest";
import { Histogram, LatencyHistogram } from "../../src/delivery/latency.js";

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

describe("LatencyHistogram", () => {
  it("keeps count, min, max and mean exact, and percentiles within 2% (never beyond max)", () => {
    const latency = new LatencyHistogram();
    expect(latency.summary()).toBeUndefined();
    // 1..1000 ms: the nearest-rank p50 is 500, p95 950, p99 990.
    for (let ms = 1000; ms >= 1; ms--) latency.add(ms);
    const summary = latency.summary();
    expect(summary).toMatchObject({ count: 1000, min: 1, max: 1000, mean: 500.5 });
    for (const [p, exact] of [
      ["p50", 500],
      ["p95", 950],
      ["p99", 990],
    ] as const) {
      expect(summary?.[p]).toBeGreaterThanOrEqual(exact);
      expect(summary?.[p]).toBeLessThanOrEqual(exact * 1.02);
    }
    const single = new LatencyHistogram();
    single.add(0.25);
    expect(single.summary()).toMatchObject({ count: 1, min: 0.25, p50: 0.25, p99: 0.25, max: 0.25 });
  });
});
