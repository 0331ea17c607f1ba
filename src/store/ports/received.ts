import type { LogHandle } from "../log-handle.js";
import { PgReceivedStore } from "../pg/received.js";
import { captureReceived, getReceived, listReceived } from "../received.js";
import { forgetRelayCursor, readRelayCursor } from "../relay-cursors.js";
import { bindSqlite, type Port } from "./bind.js";

const sqliteReceived = { captureReceived, getReceived, listReceived, readRelayCursor, forgetRelayCursor };

/** Requests `listen` captured, and the relay cursors `listen --from` keeps with them. */
export type ReceivedStore = Port<typeof sqliteReceived>;

export function receivedStoreOf(log: LogHandle): ReceivedStore {
  if (log.backend === "postgres") return new PgReceivedStore(log.pool);
  return bindSqlite(log.db, sqliteReceived);
}
