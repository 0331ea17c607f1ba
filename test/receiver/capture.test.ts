import { describe, expect, it } from "vitest";
import { createBatchedCapture } from "../../src/receiver/capture.js";
import { openDb } from "../../src/store/open.js";
import { getReceived, listReceived, receivedIdsWithPrefix } from "../../src/store/received.js";
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

  it("writes a burst of concurrent requests in batches; close() flushes the rest", async () => {
    const path = tempDb();
    const db = openDb(path);
    const capture = createBatchedCapture(db, { maxBatch: 8, flushMs: 60_000 });
    const { url, receiver } = await startTestReceiver({}, { capture });
    const replies = await Promise.all(
      Array.from({ length: 43 }, (_, i) => post(url, `{"n":${i}}`, { "X-Webhook-Delivery-ID": `dlv_${i}` })),
    );
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    // Full batches of 8 went out at once; the 3 left wait for the (here: far away) timer or close.
    expect(capture.pending).toBe(3);
    const reader = openDb(path);
    expect(listReceived(reader, { limit: 100 })).toHaveLength(40);
    await receiver.close();
    expect(capture.pending).toBe(0);
    expect(listReceived(reader, { limit: 100 })).toHaveLength(43);
    reader.close();
    db.close();
  });

  it("flushes a quiet trickle within flushMs, without waiting for close", async () => {
    const path = tempDb();
    const db = openDb(path);
    const { url } = await startTestReceiver({}, { capture: createBatchedCapture(db, { flushMs: 20 }) });
    expect((await post(url, "{}")).status).toBe(200);
    const reader = openDb(path);
    await waitFor(() => (listReceived(reader).length === 1 ? true : undefined), 5_000, "the flush");
    reader.close();
    db.close();
  });

  it("still answers when the log cannot be written, and says so", async () => {
    const db = openDb(tempDb());
    const { url, receiver, events } = await startTestReceiver({}, { capture: createBatchedCapture(db) });
    const failures: Error[] = [];
    receiver.on("capture-error", (error) => failures.push(error));
    db.close();
    expect((await post(url, "{}")).status).toBe(200);
    expect((await post(url, "{}")).status).toBe(200);
    await waitFor(() => (failures.length > 0 ? true : undefined), 5_000, "the capture error");
    expect(failures[0]?.message).toMatch(/not open/);
    expect(events).toHaveLength(2);
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
    expect(receivedIdsWithPrefix(db, id.slice(0, -3))).toEqual([id]);
    expect(receivedIdsWithPrefix(db, "rcv_")).toHaveLength(2);
    expect(receivedIdsWithPrefix(db, "%")).toEqual([]);
    db.close();
  });
});
