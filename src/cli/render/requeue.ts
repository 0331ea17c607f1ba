import { deliveryJson } from "../../contract/delivery.js";
import { maskUrl } from "../../contract/mask.js";
import type { RequeueResultJson, WouldRequeueJson } from "../../contract/schema/replay.js";
import { escapeControl } from "../../format/escape.js";
import { table } from "../../format/table.js";
import type { QueuedDelivery, RequeueResult } from "../../store/queue.js";
import type { Output } from "../output.js";

const dryRunColumns = [
  { header: "id" },
  { header: "status" },
  { header: "event" },
  { header: "endpoint" },
  { header: "target" },
];

/** `--dry-run`: what would be requeued, one delivery per line (or JSON object). */
export function renderWouldRequeue(
  out: Output,
  items: readonly QueuedDelivery[],
  to: string | undefined,
): void {
  const rows: string[][] = [];
  for (const item of items) {
    const { delivery, eventType, endpointName } = item;
    if (out.json) {
      const json: WouldRequeueJson = {
        outcome: "would-requeue",
        delivery: deliveryJson(item),
        to: maskUrl(to ?? delivery.url, item.secrets),
        skipped: delivery.status === "in_flight",
      };
      out.writeJson(json);
      continue;
    }
    const url = maskUrl(delivery.url);
    const target = to && to !== delivery.url ? `${url} → ${maskUrl(to)}` : url;
    const leased = delivery.status === "in_flight" ? out.style.warn(" (in flight: would be skipped)") : "";
    rows.push([
      delivery.id,
      delivery.status,
      escapeControl(eventType),
      endpointName ?? "-",
      `${target}${leased}`,
    ]);
  }
  if (rows.length > 0)
    for (const line of table(dryRunColumns, rows, { header: out.style.bold })) out.line(line);
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
      out.writeJson(requeueResultJson(result));
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

function requeueResultJson(result: RequeueResult): RequeueResultJson {
  if (result.outcome === "skipped") return { outcome: "skipped", id: result.id, reason: result.reason };
  const { id, deliveryId, previousStatus, url } = result;
  return { outcome: "requeued", id, deliveryId, previousStatus, url: maskUrl(url) };
}
