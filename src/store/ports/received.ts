import type { LogHandle } from "../log-handle.js";
import { PgReceivedStore } from "../pg/received.js";
import { captureReceived, getReceived, listReceived } from "../received.js";
import { forgetRelayCursor, readRelayCursor } from "../relay-cursors.js";
import {
  readRelayListener,
  releaseRelayListener,
  renewRelayListener,
  takeRelayListener,
} from "../relay-listeners.js";
import { bindSqlite, type Port } from "./bind.js";

const sqliteReceived = {
  captureReceived,
  getReceived,
  listReceived,
  readRelayCursor,
  forgetRelayCursor,
  readRelayListener,
  takeRelayListener,
  renewRelayListener,
  releaseRelayListener,
};

/**
 * Requests `listen` captured, the relay cursors `listen --from` keeps with them, and which
 * listener holds each relay source.
 */
export type ReceivedStore = Port<typeof sqliteReceived>;

export function receivedStoreOf(log: LogHandle): ReceivedStore {
  if (log.backend === "postgres") return new PgReceivedStore(log.pool);
  return bindSqlite(log.db, sqliteReceived);
}
