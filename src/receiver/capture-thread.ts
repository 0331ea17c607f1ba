import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { insertReceivedSql, receivedParams } from "../store/received.js";
import type { CaptureSink } from "./types.js";

/**
 * The writer thread. It is evaluated from this string (not loaded from a file) so the same code
 * runs from the TypeScript sources under test and from dist. It knows nothing of hookctl: the
 * SQL and the parameter rows come from store/received.ts.
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
  return { db, insertAll: db.transaction((rows) => { for (const row of rows) statement.run(row); }) };
}
let log;
try {
  log = open();
} catch (error) {
  // Errors from the driver do not survive the trip between threads: send the words.
  parentPort.postMessage({ error: "cannot open the log " + workerData.path + ": " + describe(error) });
  parentPort.close();
}
if (log) {
  parentPort.on("message", (message) => {
    if (message.rows) {
      try { log.insertAll(message.rows); }
      catch (error) { parentPort.postMessage({ error: describe(error) }); }
    }
    if (message.sync !== undefined) parentPort.postMessage({ synced: message.sync });
    if (message.close) { log.db.close(); parentPort.close(); }
  });
}
`;

export interface CaptureThreadOptions {
  /** Post to the writer at once when this many records are waiting (default 256). */
  maxBatch?: number;
  /** Otherwise post this long after the first record queued (default 10 ms). */
  flushMs?: number;
  /** How long the writer waits for another hookctl process holding the log's lock (default 10 s). */
  busyTimeoutMs?: number;
}

export interface CaptureThread extends CaptureSink {
  /** Write what is queued, wait for the writer to commit it, and stop the thread. Call it: the
   * thread keeps the process alive until then. */
  close(): Promise<void>;
}

/**
 * Capture on a writer thread with its own SQLite connection: the receiver's event loop only
 * queues rows, and neither inserts nor a lock held by another hookctl process (send, replay
 * writing the same log) ever stall the answers. Rows go over in batches every `flushMs` or
 * `maxBatch` rows; the writer commits each batch in one transaction. A crash (SIGKILL, power
 * loss) can lose the last few milliseconds of captures; close() loses nothing.
 * @param path the log, already created and migrated (openDb) by the caller.
 */
export function createCaptureThread(path: string, options: CaptureThreadOptions = {}): CaptureThread {
  const maxBatch = options.maxBatch ?? 256;
  const flushMs = options.flushMs ?? 10;
  const worker = new Worker(writerSource, {
    eval: true,
    workerData: {
      path,
      driver: createRequire(import.meta.url).resolve("better-sqlite3"),
      sql: insertReceivedSql,
      busyTimeoutMs: options.busyTimeoutMs ?? 10_000,
    },
  });
  let onError: (error: Error) => void = () => {};
  const waiting = new Map<number, () => void>();
  let nextSync = 0;
  let closed: Promise<void> | null = null;
  worker.on("message", (message: { error?: string; synced?: number }) => {
    if (message.error !== undefined) onError(new Error(message.error));
    if (message.synced !== undefined) {
      waiting.get(message.synced)?.();
      waiting.delete(message.synced);
    }
  });
  worker.on("error", (error: unknown) => {
    onError(error instanceof Error && error.message ? error : new Error(describe(error)));
  });
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      // A writer that died (it could not open the log) answers no more syncs: release the waiters.
      gone = true;
      for (const release of waiting.values()) release();
      waiting.clear();
      resolve();
    }),
  );

  let queue: unknown[][] = [];
  let timer: NodeJS.Timeout | null = null;
  const post = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (queue.length === 0) return;
    worker.postMessage({ rows: queue });
    queue = [];
  };
  const synced = () =>
    new Promise<void>((resolve) => {
      if (gone) return resolve();
      const id = nextSync++;
      waiting.set(id, resolve);
      worker.postMessage({ sync: id });
    });

  return {
    write(record) {
      if (closed || gone) {
        onError(new Error(gone ? "the capture writer stopped" : "capture is closed"));
        return;
      }
      const row = receivedParams(record);
      const body = row[5] as Buffer;
      // A body is often a view into the socket's larger read buffer, and postMessage would copy
      // that whole buffer: send an exact-size copy instead.
      if (body.byteLength !== body.buffer.byteLength) row[5] = new Uint8Array(body);
      queue.push(row);
      if (queue.length >= maxBatch) post();
      else if (timer === null) timer = setTimeout(post, flushMs);
    },
    flush() {
      post();
      return synced();
    },
    setErrorHandler(handler) {
      onError = handler;
    },
    close() {
      closed ??= (async () => {
        post();
        if (!gone) worker.postMessage({ close: true });
        await exited;
      })();
      return closed;
    },
  };
}

function describe(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && message !== "" ? message : String(error);
}
