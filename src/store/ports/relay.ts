import type { LogHandle } from "../log-handle.js";
import { PgRelayStore } from "../pg/relay.js";
import { sqliteRelayQueries } from "../relay.js";
import { bindSqlite, type Port } from "./bind.js";

/** The relay's channels and stored requests, on either backend. */
export type RelayStore = Port<typeof sqliteRelayQueries>;

export function relayStoreOf(log: LogHandle): RelayStore {
  if (log.backend === "postgres") return new PgRelayStore(log.pool);
  return bindSqlite(log.db, sqliteRelayQueries);
}
