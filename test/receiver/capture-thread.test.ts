import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCaptureThread } from "../../src/receiver/capture-thread.js";
import { openDb } from "../../src/store/open.js";
import { getReceived, listReceived } from "../../src/store/received.js";
import { waitFor } from "../helpers/bin.js";
import { tempDb, tempDir } from "../helpers/tmp.js";
import { post, startTestReceiver } from "./support.js";

const binary = Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x0d, 0x0a, 0xc3, 0x28]);

function freshLog(): string {
  const path = tempDb();
  openDb(path).close();
  return path;
}

describe("capture on a writer thread", () => {
  it("stores requests byte-exact, each committed before its answer", async () => {
    const path = freshLog();
    const capture = createCaptureThread(path, { maxBatch: 1000 });
    const { url, receiver, events } = await startTestReceiver({}, { capture });
    const db = openDb(path);
    for (let i = 0; i < 5; i++) {
      expect(
        (await post(url, binary, { "X-Webhook-Delivery-ID": `dlv_${i}`, "X-Case": "Kept" })).status,
      ).toBe(200);
      expect(listReceived(db, { deliveryId: `dlv_${i}` })).toHaveLength(1);
    }
    await receiver.close();
    await capture.close();
    expect(listReceived(db)).toHaveLength(5);
    const row = getReceived(db, events[0]?.id as string);
    expect(row?.body.equals(binary)).toBe(true);
    expect(row?.headers).toEqual(events[0]?.headers);
    expect(row?.headers).toContainEqual(["X-Case", "Kept"]);
    db.close();
  });

  it("waits for a lock held elsewhere and answers 2xx once committed; other requests are answered meanwhile", async () => {
    const path = freshLog();
    const capture = createCaptureThread(path, { busyTimeoutMs: 30_000 });
    const { url, receiver } = await startTestReceiver({ path: "/hooks" }, { capture });
    const other = openDb(path);
    other.exec("BEGIN IMMEDIATE"); // like a replay in the middle of a write
    let answered = false;
    const waiting = post(url, "{}", { "X-Webhook-Delivery-ID": "dlv_wait" }).then((reply) => {
      answered = true;
      return reply;
    });
    try {
      await waitFor(() => (receiver.inFlight() === 1 ? true : undefined), 5_000, "the request");
      // The insert waits on the writer thread: the event loop still answers (here a 404).
      expect((await post(url.replace(/\/hooks$/, "/elsewhere"), "{}")).status).toBe(404);
      expect(answered).toBe(false);
    } finally {
      other.exec("COMMIT");
    }
    expect((await waiting).status).toBe(200);
    expect(listReceived(other, { deliveryId: "dlv_wait" })).toHaveLength(1);
    other.close();
    await receiver.close();
    await capture.close();
  });

  it("answers 503 with Retry-After when the lock outlasts the busy timeout", async () => {
    const path = freshLog();
    const capture = createCaptureThread(path, { busyTimeoutMs: 50 });
    const { url, receiver } = await startTestReceiver({}, { capture });
    const failures: Error[] = [];
    receiver.on("capture-error", (error) => failures.push(error));
    const other = openDb(path);
    other.exec("BEGIN EXCLUSIVE");
    try {
      const reply = await post(url, "{}", { "X-Webhook-Delivery-ID": "dlv_locked" });
      expect([reply.status, reply.headers["retry-after"]]).toEqual([503, "5"]);
      expect(reply.body.toString()).toBe(
        "not captured: the delivery log stayed locked by another process for over 50 ms; retry later\n",
      );
      expect(failures[0]).toMatchObject({ code: "SQLITE_BUSY" });
    } finally {
      other.exec("COMMIT");
    }
    expect((await post(url, "{}", { "X-Webhook-Delivery-ID": "dlv_locked" })).status).toBe(200);
    expect(listReceived(other).map((row) => [row.deliveryId, row.responseStatus])).toEqual([
      ["dlv_locked", 200],
    ]);
    other.close();
    await receiver.close();
    await capture.close();
  });

  it("answers 503 when the writer cannot open the log, and says why", async () => {
    const capture = createCaptureThread(join(tempDir(), "missing.db"));
    const { url, receiver } = await startTestReceiver({}, { capture });
    const failures: Error[] = [];
    receiver.on("capture-error", (error) => failures.push(error));
    const reply = await post(url, "{}");
    expect(reply.status).toBe(503);
    expect(reply.body.toString()).toMatch(
      /^not captured: cannot open the log .*missing\.db: .*; retry later\n$/,
    );
    expect(failures[0]?.message).toMatch(/^cannot open the log .*missing\.db: /);
    await receiver.close();
    await capture.close();
  });
});
