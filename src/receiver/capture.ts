import type { Db } from "../store/open.js";
import type { ReceivedStore } from "../store/ports/received.js";
import { captureReceived, type ReceivedRecord } from "../store/received.js";
import type { CursorAdvance } from "../store/relay-cursors.js";
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
  return batchedCapture((records, cursors) => captureReceived(db, records, cursors), options);
}

/**
 * Capture through a store port (`listen` on PostgreSQL): a group is one transaction on the pool,
 * awaited off the event loop. One group at a time, so groups commit in the order requests were
 * answered and a relay cursor moves through them in order.
 */
export function createStoreCapture(
  store: Pick<ReceivedStore, "captureReceived">,
  options: BatchedCaptureOptions = {},
): BatchedCapture {
  return batchedCapture((records, cursors) => store.captureReceived(records, cursors), {
    ...options,
    maxInFlight: 1,
  });
}

function batchedCapture(
  commit: (records: ReceivedRecord[], cursors: CursorAdvance[]) => void | Promise<void>,
  options: BatchedCaptureOptions,
): BatchedCapture {
  const batches = groupCommit<Item>(async (items) => {
    try {
      const cursors = items.flatMap((item) => (item.cursor ? [item.cursor] : []));
      await commit(
        items.map((item) => item.record),
        cursors,
      );
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
