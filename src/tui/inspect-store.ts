import { DeliveryBrowser } from "../store/browse.js";
import { getDelivery, listAttempts } from "../store/deliveries.js";
import { getEndpointById } from "../store/endpoints.js";
import { getEvent } from "../store/events.js";
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
      const delivery = getDelivery(db, id);
      if (!delivery) return undefined;
      const endpoint = delivery.endpointId ? getEndpointById(db, delivery.endpointId) : undefined;
      return {
        delivery,
        event: getEvent(db, delivery.eventId),
        endpointName: endpoint?.name ?? null,
        attempts: listAttempts(db, id),
      };
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
