import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { requeueChosen } from "../../src/cli/actions/replay.js";
import type { OutStream } from "../../src/cli/context.js";
import { drained } from "../../src/cli/drain.js";
import { createOutput } from "../../src/cli/output.js";
import { openDb } from "../../src/store/open.js";
import { queueStoreOf } from "../../src/store/ports/queue.js";
import { requeueChunk, selectDeliveryIds } from "../../src/store/queue.js";
import { bulkDeliveries } from "../helpers/bulk-log.js";
import { testContext } from "../helpers/context.js";
import { tempDb } from "../helpers/tmp.js";

/** A reader that takes nothing until released: what a slow pipe looks like to the writer. */
function gatedStream() {
  const held: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(_chunk: Buffer, _encoding, done) {
      held.push(done);
    },
  }) as OutStream;
  // Lines handed to write(), taken or not: what the writer has produced so far.
  let lines = 0;
  const write = stream.write.bind(stream) as (chunk: string) => boolean;
  stream.write = ((chunk: string) => {
    lines += chunk.split("\n").length - 1;
    return write(chunk);
  }) as OutStream["write"];
  const release = () => {
    for (const done of held.splice(0)) done();
  };
  return { stream, release, lines: () => lines };
}

/** Polls (no fixed sleep) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

describe("drained", () => {
  it("resolves at once when nothing is backed up, and after 'drain' when it is", async () => {
    const { stream, release } = gatedStream();
    await drained(stream);
    stream.write("x".repeat(2048));
    let done = false;
    const waiting = drained(stream).then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    release();
    await waiting;
    expect(done).toBe(true);
  });

  it("resolves when the stream closes instead of draining", async () => {
    const { stream } = gatedStream();
    stream.write("x".repeat(2048));
    const waiting = drained(stream);
    stream.destroy();
    await waiting;
  });
});

describe("a long --json listing to a slow reader", () => {
  it("writes a chunk, then waits for the reader before describing the next", async () => {
    const path = tempDb();
    const db = openDb(path);
    bulkDeliveries(db, { count: requeueChunk + 10, status: "dead", url: "http://127.0.0.1:9/", at: 0 });
    const { ctx } = testContext();
    const gated = gatedStream();
    ctx.stdout = gated.stream;
    const out = createOutput(ctx, { json: true });
    const chosen = selectDeliveryIds(db, { status: "dead" });
    const queue = queueStoreOf({ backend: "sqlite", db, where: path, close: async () => {} });
    const listing = requeueChosen(out, queue, chosen, { to: undefined, dryRun: true, nothing: "", ctx });
    await until(() => gated.lines() > 0);
    // Held back after the first chunk: the rest is not even described until the reader takes it.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(gated.lines()).toBe(requeueChunk);
    let finished = false;
    void listing.then(() => {
      finished = true;
    });
    while (!finished) {
      gated.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(gated.lines()).toBe(requeueChunk + 10);
    db.close();
  });
});
