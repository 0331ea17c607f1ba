import { createStoreCapture } from "../../receiver/capture.js";
import { busyTimeoutFrom, createCaptureThread } from "../../receiver/capture-thread.js";
import type { CaptureSink } from "../../receiver/types.js";
import { type ReceivedStore, receivedStoreOf } from "../../store/ports/received.js";
import type { CliContext } from "../context.js";
import type { GlobalOptions } from "../output.js";
import { openLogFor } from "../store.js";

/** Where `listen` captures: the log's name for messages, its capture sink, and its store. */
export interface ListenLog {
  /** The file's path, or the URL with its password masked. */
  where: string;
  capture: CaptureSink;
  /**
   * The log's captures as `listen --from` reads them: its relay cursors (on SQLite over the
   * command's own connection) and which listener holds each relay source (listen-hold.ts).
   */
  store: ReceivedStore;
  /** Wait for every capture to commit (or fail), then close the log. */
  close(): Promise<void>;
}

/**
 * Open the capture log on either backend. SQLite: the capture thread writes on its own
 * connection, off the event loop; the command's connection stays open only to read relay
 * cursors. PostgreSQL: captures go through the pool from the main thread, a group per
 * transaction (network waits do not block the event loop).
 */
export async function openListenLog(
  flags: GlobalOptions,
  ctx: CliContext,
  use: { cursors: boolean },
): Promise<ListenLog> {
  const busyTimeoutMs = busyTimeoutFrom(ctx.env);
  const log = await openLogFor(flags, ctx, { poolSize: 2 });
  try {
    const store = receivedStoreOf(log);
    if (log.backend === "postgres") {
      const capture = createStoreCapture(store);
      return {
        where: log.where,
        capture,
        store,
        close: async () => {
          await capture.flush();
          await log.close();
        },
      };
    }
    // Opened here for its checks (path, 0600, migrations); the thread has its own connection.
    if (!use.cursors) await log.close();
    const thread = createCaptureThread(log.where, { busyTimeoutMs });
    return {
      where: log.where,
      capture: thread,
      store,
      close: async () => {
        try {
          await thread.close();
        } finally {
          if (use.cursors) await log.close();
        }
      },
    };
  } catch (error) {
    await log.close();
    throw error;
  }
}
