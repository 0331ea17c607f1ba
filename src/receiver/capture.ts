import type { Db } from "../store/open.js";
import { insertReceivedMany, type ReceivedRecord } from "../store/received.js";
import { advanceRelayCursors } from "../store/relay-cursors.js";
import { captureFailure } from "./capture-failure.js";
import { type GroupCommitOptions, groupCommit } from "./group-commit.js";
import type { CaptureSink, CursorMark } from "./types.js";

interface Item {
  record: ReceivedRecord;
  cursor: CursorMark | undefined;
}

export type BatchedCaptureOptions = GroupCommitOptions;

export interface BatchedCapture extends CaptureSink {
  /** Records waiting for the next commit. */
  readonly pending: number;
}

/**
 * Capture on the caller's own connection, with group commit: each write resolves once its
 * record is committed, and the writes of one event-loop turn (or of the time the previous commit
 * took) share one transaction. A SQLite commit costs far more than a row (about 100 µs against
 * 10 µs here), so per-request commits would cap the receiver at a few thousand requests a second.
 * The inserts run on the event loop: `listen` uses the capture thread instead (capture-thread.ts).
 */
export function createBatchedCapture(db: Db, options: BatchedCaptureOptions = {}): BatchedCapture {
  const batches = groupCommit<Item>((items) => {
    try {
      db.transaction(() => {
        insertReceivedMany(
          db,
          items.map((item) => item.record),
        );
        const cursors = items.flatMap((item) => (item.cursor ? [item.cursor] : []));
        if (cursors.length > 0) advanceRelayCursors(db, cursors);
      })();
    } catch (error) {
      throw captureFailure(error);
    }
  }, options);
  return {
    write: (record, cursor) => batches.add({ record, cursor }),
    flush: () => batches.drain(),
    get pending() {
      return batches.pending;
    },
  };
}
