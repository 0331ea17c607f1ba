import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { KEY } from "../../src/tui/keys.js";
import { startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { cleanups, selected, start } from "./app-kit.js";
import { seedDelivery, seedNow } from "./seed.js";

/** A loopback receiver answering as `script` says; closed after the test. */
async function receiver(...args: Parameters<typeof startScriptedReceiver>) {
  const started = await startScriptedReceiver(...args);
  cleanups.push(() => started.close());
  return started;
}

/** Five dead letters and, newest (selected), one to `url`. */
async function startWith(url: string) {
  let id = "";
  const started = await start({
    dead: 5,
    seed: (db) => {
      id = seedDelivery(db, { url, type: "retry.me", agoMs: 0 });
    },
  });
  await started.app.waitForFrame((f) => /retry\.me /.test(selected(f)));
  return { ...started, id };
}

describe("inspect retry (r)", () => {
  it("sends at once through the delivery code; a 200 shows success and the log holds a manual attempt", async () => {
    const target = await receiver(() => ({ status: 200, body: "ok" }));
    const { app, db, id } = await startWith(target.url);
    await app.press("r");
    const after = await app.waitForFrame(/attempt #2 → 200 in \d+ ms, succeeded/);
    expect(after).toContain("[Dead 5]");
    expect(after).not.toContain("retry.me ");
    expect(target.count(id)).toBe(1);
    expect(target.hits[0]?.headers["x-webhook-delivery-id"]).toBe(id);
    expect(getDelivery(db, id)).toMatchObject({ status: "succeeded", attemptCount: 2, lastStatusCode: 200 });
    expect(listAttempts(db, id).map((a) => [a.number, a.trigger, a.statusCode])).toEqual([
      [1, "initial", 503],
      [2, "manual", 200],
    ]);
  });

  it("a 503 shows when the next retry runs, and the detail shows what the receiver said", async () => {
    const target = await receiver(() => ({
      status: 503,
      headers: { "content-type": "application/json" },
      body: '{"error":"database is down","retryable":true}',
    }));
    const { app, db, id } = await startWith(target.url);
    await app.press("r");
    await app.waitForFrame(
      /attempt #2 → 503 in \d+ ms, retry 1 at \d\d:\d\d:\d\d \(hookctl replay sends it\)/,
    );
    const stored = getDelivery(db, id);
    expect(stored).toMatchObject({ status: "pending", scheduleAttempts: 1, nextTrigger: "scheduled" });
    expect(stored?.nextAttemptAt).toBeGreaterThan(seedNow);
    expect(listAttempts(db, id).at(-1)).toMatchObject({ number: 2, trigger: "manual", statusCode: 503 });
    await app.press(KEY.tab);
    await app.waitForFrame((f) => f.includes("[Pending 1]") && /retry\.me /.test(selected(f)));
    await app.press(KEY.enter, "G");
    const detail = await app.waitForFrame(/#2 .* manual\s+HTTP 503/);
    expect(detail).toContain("response 503 · application/json · 45 bytes");
    expect(detail).toContain('"error": "database is down",');
  });

  it("does not block: keys work while it is sending, and a second r is ignored", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The answer is held until the test has typed its keys.
    const slow = await startSlowReceiver(held);
    const { app } = await startWith(slow.url);
    await app.press("r");
    await app.waitForFrame("sending");
    await app.press("r", "r", "j");
    await app.waitForFrame((f) => f.includes("sending") && !/retry\.me /.test(selected(f)));
    await app.press("?");
    await app.waitForFrame("Keys");
    await app.press(KEY.escape);
    release();
    await app.waitForFrame(/attempt #2 → 200 in \d+ ms, succeeded/);
    expect(slow.count()).toBe(1);
  });
});

describe("InspectStore.retryNow", () => {
  it("leaves a delivery in flight under a live lease alone, and says when one is gone", async () => {
    const { db, store } = await start({ dead: 0 });
    const leased = seedDelivery(db, { status: "in_flight", agoMs: 0 });
    expect(await store.retryNow(leased)).toEqual({
      ok: false,
      message: "not retried: it is in flight under a live lease (a replay is sending it)",
    });
    expect(getDelivery(db, leased)).toMatchObject({ status: "in_flight", leaseToken: `tok-${leased}` });
    expect(listAttempts(db, leased)).toEqual([]);
    expect(await store.retryNow("dlv_gone")).toEqual({
      ok: false,
      message: "not retried: it no longer exists",
    });
  });
});

/** A receiver that answers 200 only once `held` resolves. */
async function startSlowReceiver(held: Promise<void>) {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    void held.then(() => res.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${address.port}/hook`, count: () => requests };
}
