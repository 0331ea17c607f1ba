import { sqliteAlertQueries } from "../alerts.js";
import type { LogHandle } from "../log-handle.js";
import { bindSqlite, type Port } from "./bind.js";

/** Dead-letter alerts (sinks, due alerts, what a sink answered), on either backend. */
export type AlertPort = Port<typeof sqliteAlertQueries>;

export async function alertStoreOf(log: LogHandle): Promise<AlertPort> {
  if (log.backend === "sqlite") return bindSqlite(log.db, sqliteAlertQueries);
  const { PgAlertStore } = await import("../pg/alerts.js");
  return new PgAlertStore(log.pool);
}
