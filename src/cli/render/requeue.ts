import type { QueuedDelivery, RequeueResult } from "../../store/queue.js";
import type { Output } from "../output.js";

/** `--dry-run`: what would be requeued, one delivery per line (or JSON object). */
export function renderWouldRequeue(
  out: Output,
  items: readonly QueuedDelivery[],
  to: string | undefined,
): void {
  for (const { delivery, eventType, endpointName } of items) {
    if (out.json) {
      out.writeJson({
        action: "would-requeue",
        id: delivery.id,
        status: delivery.status,
        eventType,
        endpoint: endpointName,
        url: delivery.url,
        to: to ?? delivery.url,
        attempts: delivery.attemptCount,
      });
      continue;
    }
    const target = to && to !== delivery.url ? `${delivery.url} → ${to}` : delivery.url;
    const leased = delivery.status === "in_flight" ? out.style.warn(" (in flight: would be skipped)") : "";
    out.line(
      `${delivery.id}  ${delivery.status.padEnd(9)}  ${eventType}  ${endpointName ?? "-"}  ${target}${leased}`,
    );
  }
  if (!out.json)
    out.note(
      `dry run: ${items.length} ${items.length === 1 ? "delivery" : "deliveries"} would be requeued; nothing changed`,
    );
}

/** What a requeue did: one JSON object per delivery, or a summary line and the skipped ones. */
export function renderRequeued(out: Output, results: readonly RequeueResult[]): void {
  const requeued = results.filter((r) => r.outcome === "requeued");
  for (const result of results) {
    if (out.json) {
      out.writeJson(
        result.outcome === "requeued" ? { type: "requeued", ...result } : { type: "skipped", ...result },
      );
    } else if (result.outcome === "skipped") {
      const why = result.reason === "leased" ? "in flight under a live lease" : "not in the log";
      out.note(out.style.warn(`skipped ${result.id}: ${why}`));
    }
  }
  if (!out.json) {
    const fresh = requeued.filter((r) => r.outcome === "requeued" && r.deliveryId !== r.id).length;
    const extra = fresh > 0 ? ` as ${fresh === requeued.length ? "" : `${fresh} `}new deliveries` : "";
    out.note(`requeued ${requeued.length} ${requeued.length === 1 ? "delivery" : "deliveries"}${extra}`);
  }
}
