import { deliveryJson } from "../../contract/delivery.js";
import { maskUrl } from "../../contract/mask.js";
import type { RequeueResultJson, WouldRequeueJson } from "../../contract/schema/replay.js";
import { escapeControl } from "../../format/escape.js";
import { table } from "../../format/table.js";
import type { QueuedDelivery, RequeueResult, RequeueSummary, StatusCounts } from "../../store/queue.js";
import type { Output } from "../output.js";
import { count } from "./count.js";

const dryRunColumns = [
  { header: "id" },
  { header: "status" },
  { header: "event" },
  { header: "endpoint" },
  { header: "target" },
];

/**
 * How many deliveries a `--dry-run` lists on the human surface, as `dlq list` shows 100 unless
 * asked: past that a table is no longer read, and `--json` lists every one.
 */
export const dryRunShown = 100;

/** `--dry-run --json`: one object per delivery (called a chunk at a time). */
export function renderWouldRequeueJson(
  out: Output,
  items: readonly QueuedDelivery[],
  to: string | undefined,
): void {
  for (const item of items) {
    const json: WouldRequeueJson = {
      outcome: "would-requeue",
      delivery: deliveryJson(item),
      to: maskUrl(to ?? item.delivery.url, item.secrets),
      skipped: item.delivery.status === "in_flight",
    };
    out.writeJson(json);
  }
}

/**
 * `--dry-run`: the first `dryRunShown` deliveries that would be requeued as a table, how many
 * more (`rest`, counted by state) and the total.
 */
export function renderWouldRequeue(
  out: Output,
  shown: readonly QueuedDelivery[],
  rest: StatusCounts,
  to: string | undefined,
): void {
  const rows = shown.map(({ delivery, eventType, endpointName }) => {
    const url = maskUrl(delivery.url);
    const target = to && to !== delivery.url ? `${url} → ${maskUrl(to)}` : url;
    const leased = delivery.status === "in_flight" ? out.style.warn(" (in flight: would be skipped)") : "";
    return [
      delivery.id,
      delivery.status,
      escapeControl(eventType),
      endpointName ?? "-",
      `${target}${leased}`,
    ];
  });
  if (rows.length > 0)
    for (const line of table(dryRunColumns, rows, { header: out.style.bold })) out.line(line);
  const more = rest.pending + rest.in_flight + rest.succeeded + rest.dead;
  if (more > 0) {
    const leased = rest.in_flight > 0 ? ` (${count(rest.in_flight)} in flight: would be skipped)` : "";
    out.note(out.style.dim(`… and ${count(more)} more${leased}; --json lists every one`));
  }
  const total = shown.length + more;
  out.note(
    `dry run: ${count(total)} ${total === 1 ? "delivery" : "deliveries"} would be requeued; nothing changed`,
  );
}

/** What one chunk of a requeue did: a JSON object per delivery, or a line per skipped one. */
export function renderRequeuedChunk(out: Output, results: readonly RequeueResult[]): void {
  for (const result of results) {
    if (out.json) {
      out.writeJson(requeueResultJson(result));
    } else if (result.outcome === "skipped") {
      const why = result.reason === "leased" ? "in flight under a live lease" : "not in the log";
      out.note(out.style.warn(`skipped ${result.id}: ${why}`));
    }
  }
}

/** The summary line after a requeue (none under --json: the objects say it all). */
export function renderRequeueSummary(out: Output, summary: RequeueSummary): void {
  if (out.json) return;
  const { requeued } = summary;
  const { fresh } = summary;
  const extra = fresh > 0 ? ` as ${fresh === requeued ? "" : `${count(fresh)} `}new deliveries` : "";
  out.note(`requeued ${count(requeued)} ${requeued === 1 ? "delivery" : "deliveries"}${extra}`);
}

function requeueResultJson(result: RequeueResult): RequeueResultJson {
  if (result.outcome === "skipped") return { outcome: "skipped", id: result.id, reason: result.reason };
  const { id, deliveryId, previousStatus, url } = result;
  return { outcome: "requeued", id, deliveryId, previousStatus, url: maskUrl(url) };
}
