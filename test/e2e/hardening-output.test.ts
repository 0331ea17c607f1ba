import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createEventWithDeliveries } from "../../src/store/deliveries.js";
import { newId } from "../../src/store/ids.js";
import { openDb } from "../../src/store/open.js";
import { spawnBin, waitFor } from "../helpers/bin.js";
import { startReceiver } from "../helpers/receivers.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

/** A log holding one delivery whose body is `size` bytes of base64 text. */
function logWithBody(size: number): { path: string; id: string; body: string } {
  const path = tempDb();
  const db = openDb(path);
  const now = Date.now();
  const body = randomBytes(Math.ceil((size * 3) / 4))
    .toString("base64")
    .slice(0, size);
  const id = newId("dlv", now, randomBytes);
  createEventWithDeliveries(
    db,
    {
      id: newId("evt", now, randomBytes),
      type: "big.body",
      body: Buffer.from(body),
      contentType: "text/plain",
      createdAt: now,
    },
    [
      {
        id,
        endpointId: null,
        url: "http://127.0.0.1:9/",
        scheme: "hookctl",
        extraHeaders: {},
        secrets: null,
        policy: "{}",
        timeoutMs: 1000,
      },
    ],
    now,
  );
  db.close();
  return { path, id, body };
}

interface Finished {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Whether the child process has ended (its pipes may still hold output). */
const ended = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/**
 * Resolves once our side of the pipe holds a full buffer (so the pipe behind it is full and the
 * child has writes pending) or the child has ended. No deadline of its own: on a loaded machine a
 * child can take long to start, and the test's timeout is the one bound.
 */
function filled(child: ChildProcess): Promise<void> {
  const stdout = child.stdout;
  if (!stdout) throw new Error("no stdout pipe");
  return waitFor(
    () => (stdout.readableLength >= stdout.readableHighWaterMark || ended(child) ? true : undefined),
    Number.POSITIVE_INFINITY,
  ).then(() => undefined);
}

/** The next 'readable', 'end' or 'close', whichever comes first; leaves no listener behind. */
function readableOrEnded(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const name of ["readable", "end", "close"]) stream.off(name, done);
      resolve();
    };
    for (const name of ["readable", "end", "close"]) stream.on(name, done);
  });
}

/**
 * A reader slower than the writer: nothing is read until the child has filled our side's buffer
 * (so the pipe behind it is full and the child has writes pending) or has exited, then the output
 * is taken one chunk per turn of the event loop.
 */
async function readSlowly(child: ChildProcess): Promise<Finished> {
  const stdout = child.stdout;
  if (!stdout) throw new Error("no stdout pipe");
  const errors: Buffer[] = [];
  child.stderr?.on("data", (chunk: Buffer) => errors.push(chunk));
  const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  await filled(child);
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = stdout.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    // Closed without an end (an error) leaves the output short: the assertions say so, no hang.
    if (stdout.readableEnded || stdout.destroyed) break;
    await readableOrEnded(stdout);
  }
  return { code: await closed, stdout: Buffer.concat(chunks), stderr: Buffer.concat(errors).toString() };
}

describe("output over a pipe is complete when hookctl exits", () => {
  it("log show --json of a 3 MB body reaches a slow reader whole, exit 0", async () => {
    const { path, id, body } = logWithBody(3_000_000);
    const child = spawnBin(["log", "show", id, "--json"], { env: { HOOKCTL_DB: path } });
    const result = await readSlowly(child);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(3_000_000);
    const shown = JSON.parse(result.stdout.toString()) as { delivery: { id: string; body?: string } };
    expect(shown.delivery.id).toBe(id);
    expect(JSON.stringify(shown)).toContain(body);
  }, 60_000);

  it("log --json over 4,000 deliveries gives a slow reader every line, exit 0", async () => {
    const path = tempDb();
    const db = openDb(path);
    const ids = seedDeliveries(db, { url: "http://127.0.0.1:9/", now: Date.now(), count: 4000 });
    db.close();
    const child = spawnBin(["log", "--json", "--limit", "5000"], { env: { HOOKCTL_DB: path } });
    const result = await readSlowly(child);
    expect(result.code).toBe(0);
    const lines = result.stdout.toString().trim().split("\n");
    expect(lines).toHaveLength(4000);
    expect(new Set(lines.map((line) => (JSON.parse(line) as { id: string }).id))).toEqual(new Set(ids));
  }, 60_000);

  it("a reader that goes away (log --json | head) still ends quietly with exit 0", async () => {
    const { path, id } = logWithBody(3_000_000);
    const child = spawnBin(["log", "show", id, "--json"], { env: { HOOKCTL_DB: path } });
    const errors: Buffer[] = [];
    child.stderr?.on("data", (chunk: Buffer) => errors.push(chunk));
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await filled(child);
    child.stdout?.destroy();
    expect(await closed).toBe(0);
    expect(Buffer.concat(errors).toString()).toBe("");
  }, 60_000);

  it("a reader that goes away from send --json stops it as Ctrl-C would: exit 130, nothing left in flight, attempts recorded", async () => {
    const receiver = await startReceiver({ status: 503, delayMs: 5 });
    try {
      const path = tempDb();
      const child = spawnBin(
        ["send", `${receiver.url}/hook`, "--data", "{}", "--count", "50", "--concurrency", "2", "--json"],
        { env: { HOOKCTL_DB: path } },
      );
      const errors: Buffer[] = [];
      child.stderr?.on("data", (chunk: Buffer) => errors.push(chunk));
      const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      // The first line, then the reader goes away (`| head -1`).
      await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
      child.stdout?.destroy();
      expect(await closed).toBe(130);
      expect(Buffer.concat(errors).toString()).toContain(
        "the output's reader went away; stopping as on Ctrl-C",
      );
      const db = openDb(path, { readOnly: true });
      try {
        const rows = db.prepare("SELECT status, attempt_count AS tries FROM deliveries").all() as {
          status: string;
          tries: number;
        }[];
        // Stopped early: what was sent is recorded, the rest stays pending for replay; none held.
        expect(rows.filter((row) => row.status === "in_flight")).toEqual([]);
        const attempts = db.prepare("SELECT COUNT(*) FROM attempts").pluck().get() as number;
        expect(attempts).toBe(rows.reduce((sum, row) => sum + row.tries, 0));
        expect(attempts).toBeLessThanOrEqual(receiver.requests.length);
        expect(attempts).toBeGreaterThan(0);
      } finally {
        db.close();
      }
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
