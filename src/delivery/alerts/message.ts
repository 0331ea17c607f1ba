import { deliveryJson } from "../../contract/delivery.js";
import type { AlertJson } from "../../contract/schema/alert.js";
import { iso } from "../../contract/time.js";
import type { AlertRow } from "../../store/alerts.js";
import type { QueuedDelivery } from "../../store/queue.js";
import type { AlertMessage } from "./types.js";

/**
 * The alert for one queued row: the dead delivery as the log has it now (`item`), secrets
 * masked. A delivery purged since it died still gets its alert, with `delivery: null`.
 */
export function alertMessage(
  item: QueuedDelivery | undefined,
  row: Pick<AlertRow, "id" | "deliveryId" | "createdAt">,
): AlertMessage {
  const alert: AlertJson = {
    id: row.id,
    type: "delivery.dead",
    createdAt: iso(row.createdAt),
    deliveryId: row.deliveryId,
    delivery: item ? deliveryJson(item) : null,
  };
  return { alert, body: JSON.stringify(alert) };
}
