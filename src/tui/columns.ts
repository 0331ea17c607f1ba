import { maskUrl } from "../contract/mask.js";
import type { DeliverySummary } from "../store/browse.js";
import { age, clip, outcome, printable, shortId, statusName } from "./format.js";

/** The list's columns for a given width: the widest terminals get all, narrow ones the essentials. */

export type ColumnKey = "age" | "event" | "target" | "attempts" | "result" | "status" | "id";

export interface Column {
  key: ColumnKey;
  title: string;
  width: number;
  align: "left" | "right";
}

/** Room for the selection marker in front of every row. */
export const markerWidth = 2;

interface Spec {
  key: ColumnKey;
  title: string;
  width: number;
  align: "left" | "right";
  /** The narrowest terminal that still shows this column. */
  from: number;
}

// The last result matters most; the short id least (Enter shows the whole id).
const fixed: readonly Spec[] = [
  { key: "age", title: "AGE", width: 4, align: "right", from: 44 },
  { key: "attempts", title: "TRY", width: 3, align: "right", from: 52 },
  { key: "result", title: "LAST", width: 9, align: "left", from: 0 },
  { key: "status", title: "STATUS", width: 9, align: "left", from: 72 },
  { key: "id", title: "ID", width: 8, align: "left", from: 80 },
];

const minEvent = 10;
const maxEvent = 28;

/**
 * Fixed columns appear as the terminal gets wide enough for them; the rest of the width goes
 * to the event type (up to a point) and the target (endpoint name or URL).
 */
export function listColumns(width: number, options: { showStatus: boolean }): Column[] {
  const available = width - markerWidth;
  const chosen = fixed.filter((spec) => width >= spec.from && (spec.key !== "status" || options.showStatus));
  const fixedWidth = chosen.reduce((sum, spec) => sum + spec.width + 1, 0);
  const flexible = Math.max(0, available - fixedWidth - 1);
  const event = Math.max(minEvent, Math.min(maxEvent, Math.floor(flexible * 0.4)));
  const target = Math.max(0, flexible - event);
  const has = (key: ColumnKey) => chosen.find((spec) => spec.key === key);
  const columns: Column[] = [];
  const push = (spec: Spec | undefined) => {
    if (spec) columns.push({ key: spec.key, title: spec.title, width: spec.width, align: spec.align });
  };
  push(has("age"));
  columns.push({ key: "event", title: "EVENT", width: event, align: "left" });
  columns.push({ key: "target", title: "ENDPOINT / URL", width: target, align: "left" });
  push(has("attempts"));
  push(has("result"));
  push(has("status"));
  push(has("id"));
  return columns;
}

/** The text of one cell, already fitted to its column. */
export function cellText(column: Column, row: DeliverySummary, now: number): string {
  return clip(rawCell(column.key, row, now), column.width, column.align);
}

function rawCell(key: ColumnKey, row: DeliverySummary, now: number): string {
  switch (key) {
    case "age":
      return age(now - row.createdAt);
    case "event":
      return printable(row.eventType);
    case "target":
      return printable(row.endpointName ?? maskUrl(row.url));
    case "attempts":
      return String(row.attemptCount);
    case "result":
      return outcome(row.lastStatusCode, row.lastErrorClass);
    case "status":
      return statusName(row.status);
    case "id":
      return shortId(row.id);
  }
}

export function headerText(column: Column): string {
  return clip(column.title, column.width, column.align);
}
