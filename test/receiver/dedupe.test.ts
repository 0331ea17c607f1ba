import { describe, expect, it } from "vitest";
import { DeliveryTracker } from "../../src/receiver/deliveries.js";
import { waitFor } from "../helpers/bin.js";
import { manualCapture, post, secret, signed, startTestReceiver } from "./support.js";

const body = '{"type":"invoice.paid"}';

describe("receiver dedupe", () => {
  it("answers a repeat 2xx, marks it duplicate and does not count it again", async () => {
    const { url, events, receiver } = await startTestReceiver({ secrets: [secret] });
    const headers = signed("hookctl", body, { id: "dlv_same" });
    const first = await post(url, body, headers);
    const second = await post(url, body, headers);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers["x-hookctl-duplicate"]).toBe("1");
    expect(events.map((event) => [event.deliveryId, event.attempt, event.duplicate])).toEqual([
      ["dlv_same", 1, false],
      ["dlv_same", 2, true],
    ]);
    expect(receiver.summary()).toMatchObject({ received: 1, verified: 1, duplicates: 1, accepted: 1 });
  });

  it("reads the id from webhook-id and svix-id too", async () => {
    const { url, events } = await startTestReceiver();
    await post(url, body, { "webhook-id": "msg_1" });
    await post(url, body, { "webhook-id": "msg_1" });
    await post(url, body, { "svix-id": "msg_2" });
    await post(url, body, { "svix-id": "msg_2" });
    expect(events.map((event) => [event.deliveryId, event.duplicate])).toEqual([
      ["msg_1", false],
      ["msg_1", true],
      ["msg_2", false],
      ["msg_2", true],
    ]);
  });

  it("never calls requests without a delivery id duplicates", async () => {
    const { url, events, receiver } = await startTestReceiver();
    await post(url, body);
    await post(url, body);
    expect(events.map((event) => [event.deliveryId, event.duplicate, event.attempt])).toEqual([
      [null, false, null],
      [null, false, null],
    ]);
    expect(receiver.summary().received).toBe(2);
  });

  it("ignores forged requests: they neither become attempts nor make the real one a duplicate", async () => {
    const { url, events } = await startTestReceiver({ secrets: [secret] });
    const headers = signed("hookctl", body, { id: "dlv_x" });
    expect((await post(url, body, { ...headers, "X-Signature": "00" })).status).toBe(401);
    expect((await post(url, body, headers)).status).toBe(200);
    expect(events[1]).toMatchObject({ attempt: 1, duplicate: false });
  });

  it("a retry after a failure is not a duplicate", async () => {
    const { url, events } = await startTestReceiver({ failure: { first: 1 } });
    const headers = { "X-Webhook-Delivery-ID": "dlv_r" };
    expect((await post(url, body, headers)).status).toBe(503);
    expect((await post(url, body, headers)).status).toBe(200);
    expect(events.map((event) => event.duplicate)).toEqual([false, false]);
  });
});

describe("receiver dedupe without capture (--no-store)", () => {
  it("accepts before --delay: a retry racing the delayed answer is a duplicate at once", async () => {
    const { url, receiver } = await startTestReceiver({ failure: { delayMs: 60_000 } });
    const headers = { "X-Webhook-Delivery-ID": "dlv_slow" };
    const first = post(url, body, headers);
    await waitFor(() => (receiver.summary().accepted === 1 ? true : undefined), 5_000, "the first attempt");
    const retry = await post(url, body, headers);
    expect([retry.status, retry.headers["x-hookctl-duplicate"]]).toEqual([200, "1"]);
    await receiver.close(); // ends the delay early
    expect((await first).status).toBe(200);
  });
});

describe("receiver dedupe while capturing", () => {
  const headers = { "X-Webhook-Delivery-ID": "dlv_race" };

  /** The first attempt sent and waiting for its commit, and a retry sent while it waits. */
  async function racingRetry() {
    const { capture, writes } = manualCapture();
    const { url, receiver, events } = await startTestReceiver({}, { capture });
    const first = post(url, body, headers);
    await waitFor(() => (writes.length === 1 ? true : undefined), 5_000, "the first attempt's write");
    const settled = { value: false };
    const retry = post(url, body, headers).then((reply) => ({ reply, afterFirst: settled.value }));
    await waitFor(() => (receiver.inFlight() === 2 ? true : undefined), 5_000, "the retry to arrive");
    return { writes, receiver, events, first, retry, settled };
  }

  it("a retry racing an attempt being committed waits, then is its duplicate", async () => {
    const { writes, receiver, events, first, retry, settled } = await racingRetry();
    settled.value = true;
    writes[0]?.commit();
    expect((await first).status).toBe(200);
    await waitFor(() => (writes.length === 2 ? true : undefined), 5_000, "the retry's write");
    expect(writes[1]?.record.duplicate).toBe(true);
    writes[1]?.commit();
    const { reply, afterFirst } = await retry;
    expect([reply.status, reply.headers["x-hookctl-duplicate"], afterFirst]).toEqual([200, "1", true]);
    expect(events.map((event) => [event.attempt, event.duplicate])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(receiver.summary()).toMatchObject({ received: 1, duplicates: 1, accepted: 1 });
  });

  it("an attempt whose capture failed is not remembered as accepted: the racing retry is new", async () => {
    const { writes, receiver, events, first, retry, settled } = await racingRetry();
    settled.value = true;
    writes[0]?.fail(new Error("disk I/O error"));
    const refused = await first;
    expect([refused.status, refused.headers["retry-after"]]).toEqual([503, "5"]);
    expect(refused.body.toString()).toBe("not captured: disk I/O error; retry later\n");
    await waitFor(() => (writes.length === 2 ? true : undefined), 5_000, "the retry's write");
    expect(writes[1]?.record).toMatchObject({ deliveryId: "dlv_race", duplicate: false });
    writes[1]?.commit();
    const { reply, afterFirst } = await retry;
    expect([reply.status, reply.headers["x-hookctl-duplicate"], afterFirst]).toEqual([200, undefined, true]);
    expect(events.map((event) => [event.status, event.attempt, event.duplicate])).toEqual([
      [503, 1, false],
      [200, 2, false],
    ]);
    expect(receiver.summary()).toMatchObject({ received: 1, refused: 1, accepted: 1 });
  });
});

describe("DeliveryTracker", () => {
  it("forgets the least recently seen ids past its capacity", () => {
    const tracker = new DeliveryTracker(2);
    tracker.attempt("a");
    tracker.accept("a");
    tracker.attempt("b");
    tracker.attempt("a"); // a is now the most recent
    tracker.attempt("c"); // evicts b
    expect(tracker.attempt("a")).toEqual({ attempt: 3, duplicate: true });
    expect(tracker.attempt("b")).toEqual({ attempt: 1, duplicate: false });
    expect(tracker.acceptedCount).toBe(1);
  });

  it("always remembers the last `capacity` distinct ids and forgets those long gone", () => {
    const capacity = 1000;
    const tracker = new DeliveryTracker(capacity);
    for (let i = 0; i < 10 * capacity; i++) tracker.attempt(`dlv_${i}`);
    for (let i = 9 * capacity; i < 10 * capacity; i++) {
      expect(tracker.attempt(`dlv_${i}`).attempt).toBe(2);
    }
    // Two generations at most: an id 2 × capacity distinct ids ago is gone.
    expect(tracker.attempt("dlv_0")).toEqual({ attempt: 1, duplicate: false });
    expect(tracker.attempt(`dlv_${7 * capacity}`).attempt).toBe(1);
  });
});
