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
  it("stores requests byte-exact and loses nothing on close", async () => {
    const path = freshLog();
    const capture = createCaptureThread(path, { flushMs: 60_000, maxBatch: 1000 });
    const { url, receiver, events } = await startTestReceiver({}, { capture });
    for (let i = 0; i < 5; i++) {
      expect(
        (await post(url, binary, { "X-Webhook-Delivery-ID": `dlv_${i}`, "X-Case": "Kept" })).status,
      ).toBe(200);
    }
    await receiver.close();
    await capture.close();
    const db = openDb(path);
    expect(listReceived(db)).toHaveLength(5);
    const row = getReceived(db, events[0]?.id as string);
    expect(row?.body.equals(binary)).toBe(true);
    expect(row?.headers).toEqual(events[0]?.headers);
    expect(row?.headers).toContainEqual(["X-Case", "Kept"]);
    db.close();
  });

  it("keeps answering while another process holds the log's write lock", async () => {
    const path = freshLog();
    const capture = createCaptureThread(path, { flushMs: 1 });
    const { url, receiver } = await startTestReceiver({}, { capture });
    const other = openDb(path);
    other.exec("BEGIN IMMEDIATE"); // like a replay in the middle of a write
    try {
      const started = performance.now();
      for (let i = 0; i < 3; i++) expect((await post(url, "{}")).status).toBe(200);
      // An in-thread insert would have blocked the event loop until the lock was released.
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      other.exec("COMMIT");
    }
    await waitFor(() => (listReceived(other).length === 3 ? true : undefined), 10_000, "the captured rows");
    other.close();
    await receiver.close();
    await capture.close();
  });

  it("reports a log it cannot write as capture errors and still answers", async () => {
    const capture = createCaptureThread(join(tempDir(), "missing.db"));
    const { url, receiver } = await startTestReceiver({}, { capture });
    const failures: Error[] = [];
    receiver.on("capture-error", (error) => failures.push(error));
    expect((await post(url, "{}")).status).toBe(200);
    await waitFor(() => (failures.length > 0 ? true : undefined), 10_000, "the capture error");
    expect(failures[0]?.message).toMatch(/^cannot open the log .*missing\.db: /);
    await receiver.close().catch(() => {});
    await capture.close();
  });
});
