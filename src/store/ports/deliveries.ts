import { getDelivery, listAttempts, listDeliveries, loadDeliveryDetail } from "../deliveries.js";
import { loadEventDetail } from "../event-detail.js";
import { getEvent } from "../events.js";
import type { LogHandle } from "../log-handle.js";
import { PgDeliveryReads } from "../pg/deliveries.js";
import { countByStatus, countByStatusOf, describeDeliveries, listDeadLetters } from "../queue.js";
import { bindSqlite, type Port } from "./bind.js";

const sqliteReads = {
  countByStatus,
  countByStatusOf,
  describeDeliveries,
  getDelivery,
  getEvent,
  listAttempts,
  listDeadLetters,
  listDeliveries,
  loadDeliveryDetail,
  loadEventDetail,
};

/** What commands, `serve` and the TUI read about deliveries and events, on either backend. */
export type DeliveryReads = Port<typeof sqliteReads>;

export function deliveryReadsOf(log: LogHandle): DeliveryReads {
  if (log.backend === "postgres") return new PgDeliveryReads(log.pool);
  return bindSqlite(log.db, sqliteReads);
}
