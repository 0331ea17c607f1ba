/**
 * Choosing, requeueing and purging stored deliveries on either backend (`queueStoreOf(log)`).
 *
 * For `replay <ids>` / `replay --status …`: choose with `selectDeliveryIdsInto(selector)` (or
 * resolved ids, an array), then `requeueInChunks(chosen, options, each, queue.newScopeSet())`
 * and hand that ScopeSet to the engine as its scope (`engineStoreOf(log)` reads the same set on
 * both backends). Close the queue store only after the engine is done: on PostgreSQL its scope
 * sets are rows of `scope_sets`, deleted on close. Slices of a chosen list may be promises
 * (`LogIdList`); read them with `chunksOfLog` or through describeInChunks, never all at once.
 */
import type { ScopeSet } from "../engine-port.js";
import type { LogHandle } from "../log-handle.js";
import { PgQueue, type PgQueueOptions } from "../pg/queue.js";
import {
  type ChosenIds,
  type DeliverySelector,
  selectDeliveryIdsInto,
  sqliteQueueQueries,
} from "../queue.js";
import { bindSqlite, type Port } from "./bind.js";

export type QueueStore = Port<typeof sqliteQueueQueries> & {
  /**
   * The ids a selector picks, oldest first, kept in the log (SQLite: a temporary table of this
   * connection; PostgreSQL: a scope set) and read back a slice at a time.
   */
  selectDeliveryIdsInto(selector: DeliverySelector): Promise<ChosenIds>;
  /** A fresh scope set name for `requeueInChunks(…, intoSet)`, unique among this log's users. */
  newScopeSet(): ScopeSet;
  /** Drop what this store keeps in the log (PostgreSQL's scope sets); the log stays open. */
  close(): Promise<void>;
};

export function queueStoreOf(log: LogHandle, options: PgQueueOptions = {}): QueueStore {
  if (log.backend === "postgres") return new PgQueue(log.pool, options);
  const { db } = log;
  let sets = 0;
  return {
    // Not in sqliteQueueQueries: the port declares it with the wider ChosenIds (PostgreSQL's slices are promises).
    ...bindSqlite(db, { ...sqliteQueueQueries, selectDeliveryIdsInto }),
    // Temporary tables of this connection: nobody else sees them, and they go with it.
    newScopeSet: () => ({ set: sets++ === 0 ? "hookctl_requeued" : `hookctl_requeued_${sets}` }),
    close: () => Promise.resolve(),
  };
}
