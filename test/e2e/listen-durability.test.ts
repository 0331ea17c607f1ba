import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Pool, request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { openDb } from "../../src/store/open.js";
import { spawnBin, waitFor } from "../helpers/bin.js";
import { tempDir } from "../helpers/tmp.js";

const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** `hookctl listen --port 0` on a fresh log; resolves once its ready file names the URL. */
async function startListener(env: Record<string, string> = {}) {
  const dir = tempDir();
  const dbPath = join(dir, "listen.db");
  const readyFile = join(dir, "url");
  const child = spawnBin(["--db", dbPath, "listen", "--port", "0", "--ready-file", readyFile], { env });
  started.push(child);
  child.stdout?.resume(); // one line per request: keep the pipe drained
  const stderr: Buffer[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const url = await waitFor(
    () => (existsSync(readyFile) ? readFileSync(readyFile, "utf8").trim() : undefined),
    15_000,
    "listen's ready file",
  );
  return { child, dbPath, url, exited, stderr: () => Buffer.concat(stderr).toString("utf8") };
}

function capturedIds(dbPath: string): Set<string> {
  const db = openDb(dbPath);
  try {
    const ids = db
      .prepare("SELECT delivery_id FROM received WHERE response_status BETWEEN 200 AND 299")
      .pluck()
      .all() as string[];
    return new Set(ids);
  } finally {
    db.close();
  }
}

/**
 * Fire `total` requests over `connections` keep-alive connections, each with its own delivery id,
 * and kill -9 the listener as soon as `killAfter` of them have been answered 2xx. Every 2xx that
 * arrives (before or after the kill) is recorded.
 */
async function burstAndKill(total: number, connections: number, killAfter: number) {
  const listener = await startListener();
  const pool = new Pool(new URL(listener.url).origin, { connections, pipelining: 1 });
  const answered: string[] = [];
  const body = JSON.stringify({ type: "order.created", data: { id: "ord_1", total: 4200 } });
  try {
    const sends = Array.from({ length: total }, async (_, i) => {
      const id = `dlv_burst_${i}`;
      const response = await pool.request({
        path: "/",
        method: "POST",
        body,
        headers: { "content-type": "application/json", "x-webhook-delivery-id": id },
      });
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) {
        answered.push(id);
        if (answered.length === killAfter) listener.child.kill("SIGKILL");
      }
    });
    await Promise.allSettled(sends);
  } finally {
    await pool.destroy();
  }
  expect((await listener.exited).signal).toBe("SIGKILL");
  return { answered, captured: capturedIds(listener.dbPath) };
}

describe("e2e: a 2xx from listen means the request is in the log", () => {
  it("kill -9 under a burst of concurrent requests loses none of the requests answered 2xx", async () => {
    for (const killAfter of [100, 700, 1300]) {
      const { answered, captured } = await burstAndKill(2000, 32, killAfter);
      // Killed partway: at least the answers that triggered the kill, not the whole burst.
      expect(answered.length).toBeGreaterThanOrEqual(killAfter);
      expect(answered.length).toBeLessThan(2000);
      const lost = answered.filter((id) => !captured.has(id));
      expect(lost, `answered 2xx but not in the log (kill after ${killAfter})`).toEqual([]);
    }
  }, 120_000);

  it("a log locked past the busy timeout gets 503 with Retry-After, and the retry is captured", async () => {
    // Test-only knob: the writer's busy timeout (10 s by default) made short.
    const listener = await startListener({ HOOKCTL_LISTEN_BUSY_TIMEOUT_MS: "200" });
    const headers = { "content-type": "application/json", "x-webhook-delivery-id": "dlv_locked" };
    const other = openDb(listener.dbPath);
    try {
      other.exec("BEGIN EXCLUSIVE"); // another process in the middle of a long write
      const refused = await request(listener.url, { method: "POST", body: "{}", headers, reset: true });
      const text = await refused.body.text();
      expect(refused.statusCode).toBe(503);
      expect(refused.headers["retry-after"]).toBe("5");
      expect(text).toBe(
        "not captured: the delivery log stayed locked by another process for over 200 ms; retry later\n",
      );
      await waitFor(
        () => (listener.stderr().includes("cannot write to the log") ? true : undefined),
        10_000,
        "the warning on stderr",
      );
      expect(listener.stderr()).toContain(
        "warning: cannot write to the log (the delivery log stayed locked by another process for over 200 ms); answering 503",
      );
      other.exec("COMMIT");

      const retry = await request(listener.url, { method: "POST", body: "{}", headers, reset: true });
      await retry.body.dump();
      expect(retry.statusCode).toBe(200);
      expect(retry.headers["x-hookctl-duplicate"]).toBeUndefined();
      const rows = other
        .prepare("SELECT response_status FROM received WHERE delivery_id = ?")
        .pluck()
        .all("dlv_locked");
      expect(rows).toEqual([200]);
    } finally {
      if (other.inTransaction) other.exec("COMMIT");
      other.close();
    }
    listener.child.kill("SIGINT");
    expect((await listener.exited).code).toBe(130);
  }, 60_000);
});
