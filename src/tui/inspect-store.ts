import { deliveryDetailJson } from "../contract/delivery.js";
import { DeliveryBrowser } from "../store/browse.js";
import { loadDeliveryDetail } from "../store/deliveries.js";
import type { Db } from "../store/open.js";
import { purgeDeliveries, requeueDeliveries } from "../store/queue.js";
import type { DeliveryDetailData } from "./detail-lines.js";

/** What an action did, as one line for the status bar. */
export interface ActionResult {
  ok: boolean;
  message: string;
}

/** Everything the app reads from and writes to the log; the app never touches SQL itself. */
export interface InspectStore {
  browser: DeliveryBrowser;
  detail(id: string): DeliveryDetailData | undefined;
  /** Back to pending, due now, through the same code as `dlq requeue`. */
  requeue(id: string): ActionResult;
  /** Delete with its attempts, through the same code as `dlq purge`. */
  purge(id: string): ActionResult;
}

export function createInspectStore(db: Db, now: () => number): InspectStore {
  return {
    browser: new DeliveryBrowser(db),
    detail(id) {
      const detail = loadDeliveryDetail(db, id);
      return detail ? deliveryDetailJson(detail) : undefined;
    },
    requeue(id) {
      const [result] = requeueDeliveries(db, [id], { now: now() });
      if (result?.outcome === "requeued") {
        return { ok: true, message: `requeued ${id}: pending, due now (was ${result.previousStatus})` };
      }
      const reason =
        result?.reason === "leased" ? "it is in flight under a live lease" : "it no longer exists";
      return { ok: false, message: `not requeued: ${reason}` };
    },
    purge(id) {
      const deleted = purgeDeliveries(db, [id]);
      return deleted > 0
        ? { ok: true, message: `purged ${id}` }
        : { ok: false, message: "not purged: it is in flight or no longer exists" };
    },
  };
}
