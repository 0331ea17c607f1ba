import { describe, expect, it } from "vitest";
import { createBatchedCapture } from "../../src/receiver/capture.js";
import { findIdsBySuffix } from "../../src/store/id-lookup.js";
import { openDb } from "../../src/store/open.js";
import { getReceived, listReceived } from "../../src/store/received.js";
import { waitFor } from "../helpers/bin.js";
import { tempDb } from "../helpers/tmp.js";
import { post, secret, signed, startTestReceiver } from "./support.js";

// NUL, invalid UTF-8, a lone CR and an escape sequence: everything a re-encoding would mangle.
const binary = Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x0d, 0xc3, 0x28, 0x80, 0x7f]);

describe("receiver capture", () => {
  it("stores every request byte-exact with its headers, verification and answer", async () => {
    const db = openDb(tempDb());
    const { url, events, receiver } = await startTestReceiver(
      { secrets: [secret], failure: { first: 1 } },
      { capture: createBatchedCapture(db) },
    );
    const headers = { ...signed("hookctl", binary, { id: "dlv_cap" }), "X-Case-Kept": "Value  with  spaces" };

    expect((await post(url, binary, headers)).status).toBe(503);
    expect((await post(url, binary, headers)).status).toBe(200);
    expect((await post(url, binary, headers)).status).toBe(200);
    expect((await post(url, binary, { ...headers, "X-Signature": "00" })).status).toBe(401);
    await receiver.close();

    const rows = listReceived(db);
    expect(rows.map((row) => [row.responseStatus, row.verification, row.duplicate, row.injected])).toEqual([
      [401, "invalid", false, null],
      [200, "verified", true, null],
      [200, "verified", false, null],
      [503, "verified", false, "fail-first 1/1 503"],
    ]);
    expect(rows.every((row) => row.size === binary.length && row.deliveryId === "dlv_cap")).toBe(true);
    const first = getReceived(db, events[0]?.id as string);
    expect(first?.body.equals(binary)).toBe(true);
    expect(first?.headers).toEqual(events[0]?.headers);
    expect(first?.headers).toContainEqual(["X-Case-Kept", "Value  with  spaces"]);
    expect(first).toMatchObject({ method: "POST", path: "/", scheme: "hookctl", verificationReason: null });
    expect(getReceived(db, rows[0]?.id as string)?.verificationReason).toBe(
      "signature does not match any secret",
    );
    db.close();
  });

  it("answers 2xx only once the request is committed", async () => {
    const path = tempDb();
    const db = openDb(path);
    const { url } = await startTestReceiver({}, { capture: createBatchedCapture(db) });
    const reader = openDb(path);
    const seen: number[] = [];
    const replies = await Promise.all(
      Array.from({ length: 43 }, async (_, i) => {
        const reply = await post(url, `{"n":${i}}`, { "X-Webhook-Delivery-ID": `dlv_${i}` });
        // Looked up the moment the answer arrives, not after the burst: it is already in the log.
        seen.push(listReceived(reader, { deliveryId: `dlv_${i}` }).length);
        return reply.status;
      }),
    );
    expect(replies.every((status) => status === 200)).toBe(true);
    expect(seen).toEqual(Array(43).fill(1));
    reader.close();
    db.close();
  });

  it("answers 503 with Retry-After, not 2xx, when the capture cannot be committed", async () => {
    const path = tempDb();
    const db = openDb(path, { busyTimeoutMs: 20 });
    const { url, receiver, events } = await startTestReceiver({}, { capture: createBatchedCapture(db) });
    const failures: Error[] = [];
    receiver.on("capture-error", (error) => failures.push(error));
    const other = openDb(path);
    other.exec("BEGIN EXCLUSIVE");
    const headers = { "X-Webhook-Delivery-ID": "dlv_locked" };
    const refused = await post(url, "{}", headers);
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("5");
    expect(refused.body.toString()).toBe(
      "not captured: the delivery log stayed locked by another process; retry later\n",
    );
    expect(failures.map((error) => error.message)).toEqual([
      "the delivery log stayed locked by another process",
    ]);
    expect(events[0]).toMatchObject({
      id: null,
      status: 503,
      refused: expect.stringMatching(/^not captured: /),
    });
    other.exec("COMMIT");

    // The failed attempt was not remembered as accepted: the retry is new, captured and answered 2xx.
    expect((await post(url, "{}", headers)).status).toBe(200);
    expect(events[1]).toMatchObject({ attempt: 2, duplicate: false, status: 200 });
    expect(listReceived(other, { deliveryId: "dlv_locked" }).map((row) => row.responseStatus)).toEqual([200]);
    expect(receiver.summary()).toMatchObject({ received: 1, accepted: 1, refused: 1 });
    other.close();
    db.close();
  });

  it("keeps answers that claim no capture while the log is locked: duplicates 2xx, refusals as they were", async () => {
    const path = tempDb();
    const db = openDb(path, { busyTimeoutMs: 20 });
    const { url, receiver } = await startTestReceiver(
      { secrets: [secret] },
      { capture: createBatchedCapture(db) },
    );
    const failures: Error[] = [];
    receiver.on("capture-error", (error) => failures.push(error));
    const headers = signed("hookctl", "{}", { id: "dlv_before" });
    expect((await post(url, "{}", headers)).status).toBe(200);
    const other = openDb(path);
    other.exec("BEGIN EXCLUSIVE");
    try {
      // Captured before the lock: a repeat is still a duplicate, answered 2xx.
      const repeat = await post(url, "{}", headers);
      expect([repeat.status, repeat.headers["x-hookctl-duplicate"]]).toEqual([200, "1"]);
      expect((await post(url, "{}", { ...headers, "X-Signature": "00" })).status).toBe(401);
      await waitFor(() => (failures.length === 2 ? true : undefined), 5_000, "both capture errors");
    } finally {
      other.exec("COMMIT");
    }
    other.close();
    db.close();
  });

  it("lists newest first, filters by delivery id and resolves id prefixes", async () => {
    let clock = 1_700_000_000_000;
    const db = openDb(tempDb());
    const { url, receiver } = await startTestReceiver(
      {},
      { capture: createBatchedCapture(db), now: () => clock++ },
    );
    for (const id of ["dlv_a", "dlv_b", "dlv_a"]) await post(url, "{}", { "X-Webhook-Delivery-ID": id });
    await receiver.close();
    const rows = listReceived(db);
    expect(rows.map((row) => row.deliveryId)).toEqual(["dlv_a", "dlv_b", "dlv_a"]);
    expect(rows.map((row) => row.receivedAt)).toEqual(
      [...rows.map((row) => row.receivedAt)].sort().reverse(),
    );
    expect(listReceived(db, { deliveryId: "dlv_a" })).toHaveLength(2);
    expect(listReceived(db, { limit: 1 })).toHaveLength(1);
    const id = rows[1]?.id as string;
    expect(findIdsBySuffix(db, "received", id.slice(-6))).toEqual([id]);
    expect(findIdsBySuffix(db, "received", id.slice(0, -3))).toEqual([]);
    expect(findIdsBySuffix(db, "received", "%%%%%%")).toEqual([]);
    db.close();
  });
});
