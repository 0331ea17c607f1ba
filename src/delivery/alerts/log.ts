import { sqliteAlertQueries } from "../../store/alerts.js";
import type { LogHandle } from "../../store/log-handle.js";
import type { Db } from "../../store/open.js";
import { type AlertPort, alertStoreOf } from "../../store/ports/alerts.js";
import { bindSqlite } from "../../store/ports/bind.js";
import { deliveryReadsOf } from "../../store/ports/deliveries.js";
import { describeDeliveries, type QueuedDelivery } from "../../store/queue.js";

/** What the alert runner reads and writes: the alerts, and the dead delivery each one is about. */
export interface AlertLog {
  alerts: AlertPort;
  describe(deliveryId: string): Promise<QueuedDelivery | undefined>;
}

/** The alert runner's view of an open log, on either backend. */
export async function alertLogOf(log: LogHandle): Promise<AlertLog> {
  if (log.backend === "sqlite") return sqliteAlertLog(log.db);
  const alerts = await alertStoreOf(log);
  const reads = deliveryReadsOf(log);
  return { alerts, describe: async (id) => (await reads.describeDeliveries([id]))[0] };
}

/** The same over a SQLite connection (for callers that hold a `Db`, not a handle). */
export function sqliteAlertLog(db: Db): AlertLog {
  return {
    alerts: bindSqlite(db, sqliteAlertQueries),
    describe: async (id) => describeDeliveries(db, [id])[0],
  };
}
