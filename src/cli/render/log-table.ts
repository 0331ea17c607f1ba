import { formatDuration } from "../../config/duration.js";
import { escapeControl } from "../../format/escape.js";
import { table } from "../../format/table.js";
import type { Styles } from "../output.js";
import { type DeliveryView, resultLabel, statusMarks } from "./delivery-view.js";
import { when } from "./time.js";

const columns = [
  { header: "" },
  { header: "id" },
  { header: "status" },
  { header: "event" },
  { header: "result" },
  { header: "tries", align: "right" },
  { header: "created" },
  { header: "target" },
  { header: "next" },
] as const;

/** `hookctl log`: a header row, then one row per delivery with its full id (users type it back). */
export function logTable(views: readonly DeliveryView[], style: Styles, now: number): string[] {
  const rows = views.map((view) => {
    const last = view.lastAttempt;
    const result = last
      ? `${resultLabel(last)}${last.durationMs === null ? "" : ` ${formatDuration(last.durationMs)}`}`
      : "—";
    const next =
      view.status === "pending" && view.nextAttemptAt !== null ? when(view.nextAttemptAt, now) : "";
    return [
      statusMarks[view.status](style),
      view.id,
      view.status,
      escapeControl(view.event.type),
      result,
      String(view.attempts),
      style.dim(view.createdAt !== null ? when(view.createdAt, now) : ""),
      escapeControl(view.endpointName ?? view.url),
      next ? style.warn(next) : "",
    ];
  });
  return table(columns, rows, { header: style.bold });
}
