import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { UsageError } from "../errors.js";
import { insertReceivedSql, receivedParams } from "../store/received.js";
import { advanceRelayCursorSql, relayCursorParams } from "../store/relay-cursors.js";
import { CaptureError, captureFailure, describe } from "./capture-failure.js";
import { type GroupCommitOptions, groupCommit } from "./group-commit.js";
import type { CaptureSink } from "./types.js";

/**
 * The writer thread. It is evaluated from this string (not loaded from a file) so the same code
 * runs from the TypeScript sources under test and from dist. It knows nothing of hookctl: the
 * SQL and the parameter rows come from store/received.ts. Each batch message is answered with
 * the same batch number once it is committed, or with why it could not be.
 */
const writerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const describe = (error) => String((error && error.message) || (error && error.code) || error);
function open() {
  const Database = require(workerData.driver);
  const db = new Database(workerData.path, { fileMustExist: true });
  db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
  db.pragma("synchronous = NORMAL");
  // 32 MiB of pages: inserts into the delivery-id index of a large log stay off the disk.
  db.pragma("cache_size = -32768");
  const statement = db.prepare(workerData.sql);
  let cursor;
  const insertAll = db.transaction((rows, cursors) => {
    for (const row of rows) statement.run(row);
    if (cursors.length === 0) return;
    cursor ??= db.prepare(workerData.cursorSql);
    for (const params of cursors) cursor.run(params);
  });
  return { db, insertAll };
}
let log;
try {
  log = open();
} catch (error) {
  // Errors from the driver do not survive the trip between threads: send the words.
  parentPort.postMessage({ fatal: "cannot open the log " + workerData.path + ": " + describe(error) });
  parentPort.close();
}
if (log) {
  parentPort.on("message", (message) => {
    if (message.rows) {
      // IMMEDIATE takes the write lock up front, so a lock held elsewhere is waited for (busy_timeout).
      try { log.insertAll.immediate(message.rows, message.cursors); parentPort.postMessage({ batch: message.batch }); }
      catch (error) { parentPort.postMessage({ batch: message.batch, error: describe(error), code: error && error.code }); }
    }
    if (message.close) { log.db.close(); parentPort.close(); }
  });
}
`;

/** Test-only: how long listen's writer waits for a lock held by another process (milliseconds). */
export const busyTimeoutVariable = "HOOKCTL_LISTEN_BUSY_TIMEOUT_MS";

export interface CaptureThreadOptions extends GroupCommitOptions {
  /** How long the writer waits for another hookctl process holding the log's lock (default 10 s). */
  busyTimeoutMs?: number;
}

export interface CaptureThread extends CaptureSink {
  /** Wait for every write to be committed (or to fail), then stop the thread. Call it: the thread
   * keeps the process alive until then. */
  close(): Promise<void>;
}

interface Item {
  row: unknown[];
  cursor: unknown[] | undefined;
}

interface WriterMessage {
  batch?: number;
  error?: string;
  code?: string;
  fatal?: string;
}

/**
 * Capture on a writer thread with its own SQLite connection, with group commit: each write
 * resolves once its record is committed, and the writes that arrive while one batch is being
 * committed go over together as the next batch (one message and one transaction each). The
 * receiver's event loop never runs an insert nor waits on a lock held by another hookctl
 * process: while a commit waits, refusals, the 503s of a full receiver and shutdown still go on.
 * @param path the log, already created and migrated (openDb) by the caller.
 */
export function createCaptureThread(path: string, options: CaptureThreadOptions = {}): CaptureThread {
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  const worker = new Worker(writerSource, {
    eval: true,
    workerData: {
      path,
      driver: createRequire(import.meta.url).resolve("better-sqlite3"),
      sql: insertReceivedSql,
      cursorSql: advanceRelayCursorSql,
      busyTimeoutMs,
    },
  });
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let nextBatch = 0;
  let fatal: string | null = null;
  let stopped: CaptureError | null = null;
  let closed: Promise<void> | null = null;
  worker.on("message", (message: WriterMessage) => {
    if (message.fatal !== undefined) fatal = message.fatal;
    if (message.batch === undefined) return;
    const batch = waiting.get(message.batch);
    waiting.delete(message.batch);
    if (message.error === undefined) batch?.resolve();
    else batch?.reject(captureFailure({ message: message.error, code: message.code }, busyTimeoutMs));
  });
  worker.on("error", (error: unknown) => {
    fatal ??= `the capture writer failed: ${describe(error)}`;
  });
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      // A writer that died (it could not open the log) commits nothing more: fail what waits.
      stopped = new CaptureError(fatal ?? "the capture writer stopped", null);
      for (const batch of waiting.values()) batch.reject(stopped);
      waiting.clear();
      resolve();
    }),
  );
  const batches = groupCommit<Item>(
    (items) =>
      new Promise<void>((resolve, reject) => {
        if (stopped) return reject(stopped);
        const batch = nextBatch++;
        waiting.set(batch, { resolve, reject });
        const rows = items.map((item) => item.row);
        const cursors: unknown[][] = [];
        for (const item of items) if (item.cursor) cursors.push(item.cursor);
        worker.postMessage({ batch, rows, cursors });
      }),
    options,
  );

  return {
    write(record, cursor) {
      if (stopped) return Promise.reject(stopped);
      if (closed) return Promise.reject(new CaptureError("capture is closed", null));
      const row = receivedParams(record);
      const body = row[5] as Buffer;
      // A body is often a view into the socket's larger read buffer, and postMessage would copy
      // that whole buffer: send an exact-size copy instead.
      if (body.byteLength !== body.buffer.byteLength) row[5] = new Uint8Array(body);
      return batches.add({ row, cursor: cursor ? relayCursorParams(cursor) : undefined });
    },
    flush: () => batches.drain(),
    close() {
      closed ??= (async () => {
        await batches.drain();
        if (!stopped) worker.postMessage({ close: true });
        await exited;
      })();
      return closed;
    },
  };
}

/** The writer's busy timeout from the environment (unset: the default), for tests of a locked log. */
export function busyTimeoutFrom(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const text = env[busyTimeoutVariable];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 600_000) {
    throw new UsageError(
      `${busyTimeoutVariable} must be a whole number of milliseconds from 0 to 600000 (got ${JSON.stringify(text.slice(0, 40))})`,
      `unset it to use the default (10000)`,
    );
  }
  return value;
}
