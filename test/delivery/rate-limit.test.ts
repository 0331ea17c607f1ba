import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../src/delivery/rate-limit.js";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

describe("TokenBucket", () => {
  it("starts full, then spaces takes evenly at the rate", () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSecond: 10, now: c.now });
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(100);
    c.advance(60);
    expect(bucket.take()).toBe(40);
    c.advance(40);
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(100);
  });

  it("lets a burst go back to back, never holding more than the burst", () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3, now: c.now });
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.take()).toBe(500);
    c.advance(60_000); // a long idle refills to the burst only
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.take()).toBeGreaterThan(0);
  });

  it("a waiting take takes nothing, and a clock stepping back does not drain it", () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSecond: 1, now: c.now });
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(1000);
    expect(bucket.take()).toBe(1000);
    c.advance(-5000);
    expect(bucket.take()).toBe(1000);
    c.advance(1000);
    expect(bucket.take()).toBe(0);
  });

  it("supports fractional rates (600/m, 1/h)", () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSecond: 1 / 3600, now: c.now });
    bucket.take();
    expect(bucket.take()).toBe(3_600_000);
  });

  it("refuses a rate that is not above 0", () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, now: () => 0 })).toThrow(RangeError);
  });

  it("over a long run with an injected clock, takes never exceed rate × time + burst", () => {
    const c = clock(0);
    const bucket = new TokenBucket({ ratePerSecond: 50, burst: 5, now: c.now });
    let taken = 0;
    for (let step = 0; step < 10_000; step++) {
      if (bucket.take() === 0) taken++;
      c.advance(1);
    }
    expect(taken).toBeLessThanOrEqual(50 * 10 + 5);
    expect(taken).toBeGreaterThanOrEqual(50 * 10 - 1);
  });
});
