import type { DeliveryOutcome } from "../../delivery/send-outcome.js";
import type { Db } from "../../store/open.js";
import { describeDeliveries } from "../../store/queue.js";

/**
 * Deliveries another hookctl process held while this run wanted them (a replay running beside
 * it) are judged by where that process left them: delivered there is delivered.
 */
export function settleTakenElsewhere(db: Db, outcomes: readonly DeliveryOutcome[]): void {
  const elsewhere = outcomes.filter((outcome) => outcome.sends === 0 && outcome.skipped > 0);
  if (elsewhere.length === 0) return;
  const now = new Map(
    describeDeliveries(
      db,
      elsewhere.map((outcome) => outcome.deliveryId),
    ).map((item) => [item.delivery.id, item.delivery.status]),
  );
  for (const outcome of elsewhere) outcome.status = now.get(outcome.deliveryId) ?? outcome.status;
}
