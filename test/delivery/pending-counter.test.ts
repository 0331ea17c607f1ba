import { describe, expect, it } from "vitest";
import { pendingCounter } from "../../src/delivery/scheduler.js";

describe("pendingCounter", () => {
  it("counts again only after a hundred times the last count's cost, subtracting what finished meanwhile", async () => {
    let t = 0;
    let counts = 0;
    // A count that takes 10 ms of the injected clock and finds 1,000 pending.
    const counter = pendingCounter(
      async () => {
        counts++;
        t += 10;
        return 1000;
      },
      () => t,
    );
    expect(await counter(0)).toBe(1000);
    t += 500;
    expect(await counter(40)).toBe(960);
    expect(counts).toBe(1);
    t += 500; // 1,010 ms since the count began: past 100 × 10 ms
    expect(await counter(50)).toBe(1000);
    expect(counts).toBe(2);
  });

  it("a cheap count is made at most every 250 ms", async () => {
    let t = 0;
    let pending = 5;
    const counter = pendingCounter(
      async () => pending,
      () => t,
    );
    expect(await counter(0)).toBe(5);
    pending = 7;
    t = 249;
    expect(await counter(0)).toBe(5);
    t = 250;
    expect(await counter(0)).toBe(7);
  });

  it("fresh counts at once: a row in flight when last counted and pending again since (a retry) is not missed", async () => {
    const t = 0;
    let pending = 0;
    const counter = pendingCounter(
      async () => pending,
      () => t,
    );
    // Both rows in flight: none pending.
    expect(await counter(0)).toBe(0);
    // Both attempts failed and are scheduled again; nothing finished.
    pending = 2;
    expect(await counter(0)).toBe(0);
    expect(await counter(0, true)).toBe(2);
  });
});
