import { renameSync, statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { runScheduler } from "../../src/delivery/scheduler.js";
import {
  type BackgroundCheckpoints,
  startBackgroundCheckpoints,
} from "../../src/store/background-checkpoints.js";
import { type Db, openDb, walAutocheckpointPages } from "../../src/store/open.js";
import { SqliteEngineStore } from "../../src/store/sqlite-engine.js";
import { waitFor } from "../helpers/bin.js";
import { realSleep, schedulerDeps, seedDeliveries } from "../helpers/scheduler-kit.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

const open: { db: Db; checkpoints?: BackgroundCheckpoints }[] = [];
let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  for (const { db, checkpoints } of open.splice(0)) {
    await checkpoints?.stop();
    db.close();
  }
  await receiver?.close();
  receiver = undefined;
});

const autocheckpoint = (db: Db) => db.pragma("wal_autocheckpoint", { simple: true }) as number;
const fileSize = (path: string) => statSync(path).size;

/** `pages` 4 KiB pages of new events in one transaction: they land in the WAL, not yet in the file. */
function writePages(db: Db, pages: number, from = 0): void {
  const insert = db.prepare(
    "INSERT INTO events (id, type, body, content_type, created_at) VALUES (?, 'filler', ?, 'application/octet-stream', 0)",
  );
  db.transaction(() => {
    for (let i = from; i < from + pages; i++) insert.run(`evt_filler_${i}`, Buffer.alloc(4000, i % 251));
  })();
}

describe("checkpoints on a thread of their own", () => {
  it("takes them over once its thread runs: the WAL reaches the file with none on the connection", async () => {
    const db = openDb(tempDb());
    const checkpoints = startBackgroundCheckpoints(db, { everyMs: 10, restartFrames: 1_000_000 });
    open.push({ db, checkpoints });
    await waitFor(() => (checkpoints.status.state === "running" ? true : undefined), 10_000, "the thread");
    expect(autocheckpoint(db)).toBe(0);
    const before = fileSize(db.name);
    // Three times the automatic checkpoint's size, which the connection (off: 0 above) leaves in
    // the WAL. The thread runs beside this one, so what it copies shows up at any moment.
    writePages(db, 3 * walAutocheckpointPages);
    await waitFor(
      () => (fileSize(db.name) >= before + 3 * walAutocheckpointPages * 4000 ? true : undefined),
      10_000,
      "the thread to copy the WAL into the file",
    );
    await waitFor(
      () => (checkpoints.walFrames >= 3 * walAutocheckpointPages ? true : undefined),
      10_000,
      "the thread to report the WAL's frames",
    );

    await checkpoints.stop();
    expect(checkpoints.status.state).toBe("stopped");
    expect(autocheckpoint(db)).toBe(walAutocheckpointPages);
  });

  it("past restartFrames the connection copies the rest itself, so the WAL starts over under steady commits", async () => {
    const db = openDb(tempDb());
    // A WAL that starts over is cut back to nothing: seen in its file's size.
    db.pragma("journal_size_limit = 0");
    const checkpoints = startBackgroundCheckpoints(db, { everyMs: 10, restartFrames: 256 });
    open.push({ db, checkpoints });
    await waitFor(() => (checkpoints.status.state === "running" ? true : undefined), 10_000, "the thread");
    const wal = `${db.name}-wal`;
    // Commits without a pause, as in a busy replay: the thread's pass never ends with nothing
    // left to copy, and SQLite starts a WAL over only after one that does. Without the
    // connection's own checkpoint the WAL grows for as long as the commits go on.
    let peak = 0;
    const deadline = Date.now() + 20_000;
    for (let page = 0; ; page += 8) {
      writePages(db, 8, page);
      checkpoints.committed();
      const size = fileSize(wal);
      if (peak >= 256 * 4096 && size < peak / 2) break;
      peak = Math.max(peak, size);
      if (Date.now() > deadline || peak > 64 * 1024 * 1024) {
        throw new Error(`the WAL never started over (${peak} bytes)`);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  });

  it("a thread that cannot open the log leaves the checkpoints with the connection, and says why", async () => {
    const path = tempDb();
    const db = openDb(path);
    open.push({ db });
    // The open connection keeps its file; the thread finds nothing at the path.
    renameSync(path, `${path}.moved`);
    const checkpoints = startBackgroundCheckpoints(db, { everyMs: 10 });
    await waitFor(() => (checkpoints.status.state === "failed" ? true : undefined), 10_000, "the failure");
    expect(checkpoints.status).toMatchObject({ state: "failed", reason: expect.stringMatching(/./) });
    expect(autocheckpoint(db)).toBe(walAutocheckpointPages);
    await checkpoints.stop();
    expect(checkpoints.status.state).toBe("failed");
    expect(autocheckpoint(db)).toBe(walAutocheckpointPages);
  });
});

describe("the engine's SQLite store", () => {
  it("starts the thread once a run has written enough rows, and stops it on close", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const db = openDb(tempDb());
    open.push({ db });
    const now = Date.now();
    seedDeliveries(db, { url: receiver.url, now, count: 300 });
    const deps = schedulerDeps(db, { now: Date.now, sleep: realSleep });
    const store = new SqliteEngineStore(db, { backgroundCheckpointsAfterRows: 100 });
    const result = await runScheduler({ ...deps, store }, { concurrency: 8 });
    expect(result).toMatchObject({ outcome: "done", succeeded: 300 });
    await waitFor(() => (autocheckpoint(db) === 0 ? true : undefined), 10_000, "the thread to take over");
    await store.close();
    expect(autocheckpoint(db)).toBe(walAutocheckpointPages);
  });

  it("never starts it for a short run", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const db = openDb(tempDb());
    open.push({ db });
    seedDeliveries(db, { url: receiver.url, now: Date.now(), count: 40 });
    const store = new SqliteEngineStore(db);
    const deps = schedulerDeps(db, { now: Date.now, sleep: realSleep });
    expect(await runScheduler({ ...deps, store }, { concurrency: 8 })).toMatchObject({ succeeded: 40 });
    expect(autocheckpoint(db)).toBe(walAutocheckpointPages);
    await store.close();
  });
});
