import type { LogHandle } from "../log-handle.js";
import { NotificationListener } from "../pg/notifications.js";
import { PgRelayStore, relayNewsChannel } from "../pg/relay.js";
import { sqliteRelayQueries } from "../relay.js";
import { bindSqlite, type Port } from "./bind.js";

/** The relay's channels and stored requests, on either backend. */
export type RelayStore = Port<typeof sqliteRelayQueries>;

export function relayStoreOf(log: LogHandle): RelayStore {
  if (log.backend === "postgres") return new PgRelayStore(log.pool);
  return bindSqlite(log.db, sqliteRelayQueries);
}

/** Hears of requests other processes stored: `listener` gets each relay channel's name. */
export type RelayNews = (listener: (channel: string) => void) => () => void;

/**
 * News of requests other relay processes sharing the log stored (PostgreSQL's LISTEN/NOTIFY);
 * undefined for a SQLite log, which one relay process writes.
 */
export function relayNewsOf(log: LogHandle): RelayNews | undefined {
  if (log.backend !== "postgres") return undefined;
  const listener = new NotificationListener(log.pool, relayNewsChannel);
  return (onChannel) => listener.subscribe(onChannel);
}
