import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/receiver/prng.js";
import { post, secret, signed, startTestReceiver } from "./support.js";

const body = '{"type":"order.created"}';
const id = (value: string) => ({ "X-Webhook-Delivery-ID": value });

describe("receiver failure injection", () => {
  it("--fail-first N fails attempts 1..N of each delivery id, then succeeds, then dedupes", async () => {
    const { url, events, receiver } = await startTestReceiver({ failure: { first: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(url, body, id("dlv_a"))).status);
    statuses.push((await post(url, body, id("dlv_b"))).status);
    expect(statuses).toEqual([503, 503, 200, 200, 503]);
    expect(events[0]?.injected).toMatchObject({ kind: "status", cause: "fail-first", attempt: 1 });
    expect(events[0]?.injected?.label).toBe("fail-first 1/2 503");
    expect(events[3]?.duplicate).toBe(true);
    expect(receiver.summary()).toMatchObject({
      received: 4,
      duplicates: 1,
      injectedFailures: 3,
      accepted: 1,
    });
  });

  it("only authentic requests count toward --fail-first", async () => {
    const { url } = await startTestReceiver({ secrets: [secret], failure: { first: 1 } });
    const headers = signed("hookctl", body, { id: "dlv_auth" });
    expect((await post(url, body, { ...headers, "X-Signature": "ff" })).status).toBe(401);
    expect((await post(url, body, headers)).status).toBe(503);
    expect((await post(url, body, headers)).status).toBe(200);
  });

  it("uses --fail-status and adds Retry-After to injected failures", async () => {
    const { url } = await startTestReceiver({ failure: { first: 1, status: 429, retryAfterSeconds: 7 } });
    const reply = await post(url, body, id("dlv_c"));
    expect(reply.status).toBe(429);
    expect(reply.headers["retry-after"]).toBe("7");
    expect(reply.headers["x-hookctl-injected"]).toBe("fail-first 1/1 429");
    const ok = await post(url, body, id("dlv_c"));
    expect(ok.headers["retry-after"]).toBeUndefined();
  });

  it("--fail-rate with a seed fails exactly the draws the seeded generator predicts", async () => {
    const rate = 0.5;
    const predict = mulberry32(1234);
    const expected = Array.from({ length: 30 }, () => (predict() < rate ? 503 : 200));
    const run = async () => {
      const { url } = await startTestReceiver({ failure: { rate } }, { random: mulberry32(1234) });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await post(url, body, id(`dlv_${i}`))).status);
      return statuses;
    };
    const first = await run();
    expect(first).toEqual(expected);
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it("--drop closes the connection without any response", async () => {
    const { url, events, receiver } = await startTestReceiver({ failure: { first: 1, drop: true } });
    await expect(post(url, body, id("dlv_d"))).rejects.toThrow(/other side closed|socket|reset/i);
    expect((await post(url, body, id("dlv_d"))).status).toBe(200);
    expect(events[0]).toMatchObject({
      status: null,
      injected: { kind: "drop", label: "fail-first 1/1 drop" },
    });
    expect(receiver.summary().injectedFailures).toBe(1);
  });

  it("--delay holds the answer for that long", async () => {
    const { url } = await startTestReceiver({ failure: { delayMs: 250 } });
    const started = performance.now();
    expect((await post(url, body)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });

  it("close() ends a long delay early and still answers the request in flight", async () => {
    const { url, receiver, events } = await startTestReceiver({ failure: { delayMs: 60_000 } });
    const pending = post(url, body);
    await waitUntil(() => receiver.inFlight() === 1);
    const started = performance.now();
    const summary = await receiver.close();
    const reply = await pending;
    expect(reply.status).toBe(200);
    expect(summary.received).toBe(1);
    expect(events).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("mulberry32", () => {
  it("is deterministic per seed and stays in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(draws);
    expect(c()).not.toBe(draws[0]);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = draws.reduce((sum, x) => sum + x, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
