import {
  activeSecrets,
  endpointDeliveryCounts,
  getEndpointById,
  getEndpointByName,
  insertEndpoint,
  listEndpointSecrets,
  listEndpoints,
  removeEndpoint,
  rotateEndpointSecret,
  setEndpointEvents,
} from "../endpoints.js";
import type { LogHandle } from "../log-handle.js";
import { PgEndpointStore } from "../pg/endpoints.js";
import { bindSqlite, type Port } from "./bind.js";

const sqliteEndpoints = {
  activeSecrets,
  endpointDeliveryCounts,
  getEndpointById,
  getEndpointByName,
  insertEndpoint,
  listEndpointSecrets,
  listEndpoints,
  removeEndpoint,
  rotateEndpointSecret,
  setEndpointEvents,
};

/** Endpoints and their secrets, on either backend. */
export type EndpointStore = Port<typeof sqliteEndpoints>;

export function endpointStoreOf(log: LogHandle): EndpointStore {
  if (log.backend === "postgres") return new PgEndpointStore(log.pool);
  return bindSqlite(log.db, sqliteEndpoints);
}
