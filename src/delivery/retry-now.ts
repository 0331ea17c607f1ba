import { activeSecrets } from "../store/endpoints.js";
import { getEvent } from "../store/events.js";
import { Leases } from "../store/leases.js";
import type { LogHandle, PostgresLog } from "../store/log-handle.js";
import type { Db } from "../store/open.js";
import { requeueDeliveries } from "../store/queue.js";
import type { DeliveryRow } from "../store/types.js";
import { type DeliveryReport, deliverClaimed } from "./deliver.js";
import type { EngineDeps } from "./engine/engine.js";

export type RetryNowDeps = Pick<
  EngineDeps,
  "attempt" | "now" | "random" | "newToken" | "randomHex" | "userAgent"
> &
  /** The log: an open handle (either backend), or a SQLite connection as before. */
  ({ log: LogHandle } | { db: Db });

export type RetryNowResult =
  | { outcome: "attempted"; report: DeliveryReport }
  /**
   * `claimed`: requeued, but another process (a running replay) took it first and sends it.
   * `limited` (PostgreSQL): requeued, but its endpoint's shared cap or rate has no room now; the
   * schedulers send it when it has.
   */
  | { outcome: "skipped"; reason: "not-found" | "leased" | "claimed" | "limited" };

/** As replay's engine: a lease lasts the delivery's timeout plus this (the attempt fits in it). */
export const leaseMarginMs = 5000;

/**
 * `replay <id>` for one delivery, at once: requeue it (manual trigger, schedule reset) and claim
 * it in one write transaction, so no other scheduler slips in between, then make the attempt
 * through `deliverClaimed` and record it under the lease, as replay does.
 */
export async function retryNow(deps: RetryNowDeps, id: string): Promise<RetryNowResult> {
  const log = "log" in deps ? deps.log : undefined;
  if (log?.backend === "postgres") {
    const { retryNowPg } = await import("./retry-now-pg.js");
    return retryNowPg({ ...deps, log }, id);
  }
  return retryNowSqlite(deps, log ? log.db : (deps as { db: Db }).db, id);
}

async function retryNowSqlite(deps: RetryNowDeps, db: Db, id: string): Promise<RetryNowResult> {
  const leases = new Leases(db);
  const token = deps.newToken();
  const claimed = db
    .transaction(() => {
      const now = deps.now();
      const [requeued] = requeueDeliveries(db, [id], { now });
      if (requeued?.outcome !== "requeued") return requeued?.reason ?? "not-found";
      const timeoutMs = db
        .prepare("SELECT timeout_ms FROM deliveries WHERE id = ?")
        .pluck()
        .get(id) as number;
      return leases.claimById(id, { now, leaseMs: timeoutMs + leaseMarginMs, token }) ?? "claimed";
    })
    .immediate();
  if (typeof claimed === "string") return { outcome: "skipped", reason: claimed };
  return { outcome: "attempted", report: await attemptClaimed(deps, db, leases, claimed, token) };
}

async function attemptClaimed(
  deps: RetryNowDeps,
  db: Db,
  leases: Leases,
  delivery: DeliveryRow,
  token: string,
): Promise<DeliveryReport> {
  try {
    const event = getEvent(db, delivery.eventId);
    if (!event) throw new Error(`delivery ${delivery.id} has no event ${delivery.eventId}`);
    const secrets =
      delivery.secrets ?? (delivery.endpointId ? activeSecrets(db, delivery.endpointId, deps.now()) : []);
    return await deliverClaimed({ delivery, event, secrets, leaseToken: token }, { ...deps, leases });
  } catch (error) {
    // Not attempted (or not recorded): hand it back, still due, for the next replay.
    leases.release(delivery.id, token, deps.now());
    throw error;
  }
}

export type PgRetryNowDeps = RetryNowDeps & { log: PostgresLog };
