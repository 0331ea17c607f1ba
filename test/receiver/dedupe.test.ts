import { describe, expect, it } from "vitest";
import { DeliveryTracker } from "../../src/receiver/deliveries.js";
import { post, secret, signed, startTestReceiver } from "./support.js";

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
