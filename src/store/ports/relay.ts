import type { LogHandle } from "../log-handle.js";
import { PgRelayStore } from "../pg/relay.js";
import {
  deleteChannel,
  getChannel,
  insertChannel,
  listChannels,
  pruneRequests,
  readRequestPage,
  recordAck,
  setChannelToken,
  storeRequests,
} from "../relay.js";
import { bindSqlite, type Port } from "./bind.js";

const sqliteRelay = {
  deleteChannel,
  getChannel,
  insertChannel,
  listChannels,
  pruneRequests,
  readRequestPage,
  recordAck,
  setChannelToken,
  storeRequests,
};

/** The relay's channels and stored requests, on either backend. */
export type RelayStore = Port<typeof sqliteRelay>;

export function relayStoreOf(log: LogHandle): RelayStore {
  if (log.backend === "postgres") return new PgRelayStore(log.pool);
  return bindSqlite(log.db, sqliteRelay);
}
