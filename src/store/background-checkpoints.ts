import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { type Db, walAutocheckpointPages } from "./open.js";

/**
 * The checkpointer thread, evaluated from this string so that the same code runs from the
 * sources under test and from dist. PASSIVE never waits for readers or writers; a pass that could
 * not copy every frame (a commit landed meanwhile) is followed by another soon, so the WAL is
 * wholly copied often and the next commit starts it over from the beginning.
 */
const checkpointerSource = `
const { parentPort, workerData } = require("node:worker_threads");
let db;
try {
  const Database = require(workerData.driver);
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma("busy_timeout = 1000");
  db.pragma("synchronous = NORMAL");
} catch (error) {
  parentPort.postMessage({ failed: String((error && error.message) || error) });
  parentPort.close();
}
if (db) {
  let timer;
  const pass = () => {
    let behind = false;
    try {
      const [result] = db.pragma("wal_checkpoint(PASSIVE)");
      behind = result.log > result.checkpointed;
      parentPort.postMessage({ frames: result.log });
    } catch (error) {
      parentPort.postMessage({ failed: String((error && error.message) || error) });
      db.close();
      parentPort.close();
      return;
    }
    timer = setTimeout(pass, behind ? workerData.againMs : workerData.everyMs);
  };
  parentPort.on("message", (message) => {
    if (!message.stop) return;
    clearTimeout(timer);
    db.close();
    parentPort.close();
  });
  parentPort.postMessage({ ready: true });
  pass();
}
`;

export interface BackgroundCheckpoints {
  /**
   * Call after each commit on `db`. The thread copies the WAL into the file, but while commits
   * keep coming it is never wholly done, and SQLite starts a WAL over only once it is: past
   * `restartFrames`, `db` checkpoints the little the thread has not copied itself, so its next
   * commit starts the WAL over.
   */
  committed(): void;
  /** Where the thread is: failed says why (checkpoints stay with the connection then). */
  readonly status: CheckpointerStatus;
  /** WAL frames (pages) when the thread last looked. */
  readonly walFrames: number;
  /** Stop the thread (its connection closed) and hand checkpoints back to the connection. */
  stop(): Promise<void>;
}

export type CheckpointerStatus =
  | { state: "starting" | "running" | "stopped" }
  | { state: "failed"; reason: string };

export interface BackgroundCheckpointOptions {
  /** How often the thread checkpoints (default 100 ms). */
  everyMs?: number;
  /** WAL frames (pages) past which `committed()` checkpoints on `db` (default 4096: 16 MiB). */
  restartFrames?: number;
}

/**
 * Checkpoint the log's WAL from a thread with a connection of its own, and turn the automatic
 * checkpoint off on `db` once that thread is running. A checkpoint copies the WAL into the file
 * and syncs both: done by the committing connection (SQLite's default) it stalls the event loop
 * of a busy replay or send for ~15 ms every 8 MiB of WAL, a tenth of their time. Until the thread
 * is ready, and again if it fails or stops, `db` checkpoints automatically as before, so the WAL
 * never grows unchecked. The thread never keeps the process alive.
 */
export function startBackgroundCheckpoints(
  db: Db,
  options: BackgroundCheckpointOptions = {},
): BackgroundCheckpoints {
  const everyMs = options.everyMs ?? 100;
  const worker = new Worker(checkpointerSource, {
    eval: true,
    workerData: {
      path: db.name,
      driver: createRequire(import.meta.url).resolve("better-sqlite3"),
      everyMs,
      againMs: Math.min(everyMs, 5),
    },
  });
  let stopping = false;
  let status: CheckpointerStatus = { state: "starting" };
  /** WAL frames at the thread's last pass. */
  let frames = 0;
  const restartFrames = options.restartFrames ?? 4096;
  const handBack = () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${walAutocheckpointPages}`);
  };
  worker.on("message", (message: { ready?: boolean; failed?: string; frames?: number }) => {
    if (message.frames !== undefined) frames = message.frames;
    if (message.ready && !stopping && db.open) {
      db.pragma("wal_autocheckpoint = 0");
      status = { state: "running" };
    }
    if (message.failed !== undefined) fail(message.failed);
  });
  // A thread that could not start (or died) leaves the connection checkpointing: nothing to report.
  const fail = (reason: string) => {
    if (status.state !== "stopped") status = { state: "failed", reason };
    handBack();
  };
  worker.on("error", (error: Error) => fail(error.message));
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      if (status.state === "starting" || status.state === "running") fail("the checkpointer thread stopped");
      handBack();
      resolve();
    }),
  );
  // After the listeners: a 'message' listener takes a reference of its own.
  worker.unref();
  let stopped: Promise<void> | undefined;
  return {
    get status() {
      return status;
    },
    get walFrames() {
      return frames;
    },
    committed() {
      if (status.state !== "running" || frames < restartFrames || !db.open) return;
      try {
        const [result] = db.pragma("wal_checkpoint(PASSIVE)") as { busy: number }[];
        // Busy: the thread was checkpointing at that moment; the next commit tries again.
        if (result?.busy === 0) frames = 0;
      } catch {
        // The commit before stands; a checkpoint that failed is tried again after the next one.
      }
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        if (status.state !== "failed") status = { state: "stopped" };
        handBack();
        // Waited for: the thread must have closed its connection before the log is closed.
        worker.ref();
        worker.postMessage({ stop: true });
        await exited;
      })();
      return stopped;
    },
  };
}
