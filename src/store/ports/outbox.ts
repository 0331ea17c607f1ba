import { deliveryPage } from "../delivery-page.js";
import type { LogHandle } from "../log-handle.js";
import { admitRequests, endpointExists, pruneIdempotencyKeys, retryDelivery } from "../outbox.js";
import { outboxStats, writeProbe } from "../outbox-stats.js";
import { PgOutbox } from "../pg/outbox.js";
import { bindSqlite, type Port } from "./bind.js";

const sqliteOutbox = {
  admitRequests,
  deliveryPage,
  endpointExists,
  outboxStats,
  pruneIdempotencyKeys,
  retryDelivery,
  writeProbe,
};

/** What `serve` writes and reads beyond one delivery's or event's detail, on either backend. */
export type OutboxStore = Port<typeof sqliteOutbox>;

export function outboxStoreOf(log: LogHandle): OutboxStore {
  if (log.backend === "postgres") return new PgOutbox(log.pool);
  return bindSqlite(log.db, sqliteOutbox);
}
