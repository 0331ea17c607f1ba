import { sqliteEndpointQueries } from "../endpoints.js";
import type { LogHandle } from "../log-handle.js";
import { PgEndpointStore } from "../pg/endpoints.js";
import { bindSqlite, type Port } from "./bind.js";

/** Endpoints and their secrets, on either backend. */
export type EndpointStore = Port<typeof sqliteEndpointQueries>;

export function endpointStoreOf(log: LogHandle): EndpointStore {
  if (log.backend === "postgres") return new PgEndpointStore(log.pool);
  return bindSqlite(log.db, sqliteEndpointQueries);
}
