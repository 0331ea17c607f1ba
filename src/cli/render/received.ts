import { formatDuration } from "../../config/duration.js";
import { bodyFieldsOf } from "../../contract/body.js";
import { toHeaderList } from "../../contract/headers.js";
import { maskHeaderList, maskHeaderValue, maskUrl } from "../../contract/mask.js";
import type {
  ListenRequestJson,
  ReceivedRequestDetailJson,
  ReceivedRequestJson,
} from "../../contract/schema/received.js";
import { iso, roundMs } from "../../contract/time.js";
import { escapeControl } from "../../format/escape.js";
import { indentJson } from "../../format/json-indent.js";
import { utf8Text } from "../../format/utf8.js";
import type { ReceiverSummary, RequestEvent } from "../../receiver/types.js";
import type { ReceivedRow, ReceivedSummaryRow } from "../../store/received.js";
import type { Styles } from "../output.js";

/** What one line needs, whether the request just arrived (listen) or was stored (log received). */
export interface RequestView {
  id: string | null;
  receivedAt: number;
  method: string;
  path: string;
  eventType: string | null;
  deliveryId: string | null;
  verification: "verified" | "invalid" | "unverified";
  reason: string | null;
  scheme: string | null;
  size: number;
  status: number | null;
  duplicate: boolean;
  injected: string | null;
  refused: string | null;
  forward: { status: number | null; durationMs: number; error: string | null } | null;
  /** How long the receiver took to answer, when known. */
  durationMs: number | null;
}

export function viewOfEvent(event: RequestEvent): RequestView {
  return {
    id: event.id,
    receivedAt: event.receivedAt,
    method: event.method,
    path: event.path,
    eventType: event.eventType,
    deliveryId: event.deliveryId,
    verification: event.verification.status,
    reason: event.verification.reason,
    scheme: event.verification.scheme,
    size: event.body.length,
    status: event.status,
    duplicate: event.duplicate,
    injected: event.injected?.label ?? null,
    refused: event.refused,
    forward: event.forward
      ? { status: event.forward.status, durationMs: event.forward.durationMs, error: event.forward.error }
      : null,
    durationMs: event.durationMs,
  };
}

export function viewOfRow(row: ReceivedSummaryRow | ReceivedRow): RequestView {
  const size = "size" in row ? row.size : row.body.length;
  // The log keeps the refusal reason in verification_reason for requests that were never checked.
  const refused = row.verification === "unverified" ? row.verificationReason : null;
  return {
    id: row.id,
    receivedAt: row.receivedAt,
    method: row.method,
    path: row.path,
    eventType: row.eventType,
    deliveryId: row.deliveryId,
    verification: row.verification,
    reason: row.verification === "invalid" ? row.verificationReason : null,
    scheme: row.scheme,
    size,
    status: row.responseStatus,
    duplicate: row.duplicate,
    injected: row.injected,
    refused,
    forward: null,
    durationMs: row.durationMs,
  };
}

/** time, method, path, event type, delivery id, verification, size, status, markers: one line. */
export function requestLine(view: RequestView, style: Styles, options: { withId?: boolean } = {}): string {
  const [id, ...cells] = requestCells(view, style);
  return [...(options.withId && view.id ? [style.dim(id as string)] : []), ...cells]
    .filter((cell) => cell !== "")
    .join("  ");
}

/** The columns of `log received`, in the order of {@link requestCells}. */
export const requestColumns = [
  { header: "id" },
  { header: "time" },
  { header: "request" },
  { header: "event" },
  { header: "delivery" },
  { header: "verified" },
  { header: "size", align: "right" },
  { header: "status" },
  { header: "notes" },
] as const;

/** One captured request as table cells: id, time, request, event, delivery, verified, size, status, notes. */
export function requestCells(view: RequestView, style: Styles): string[] {
  const notes: string[] = [];
  if (view.duplicate) notes.push(style.warn("duplicate"));
  if (view.injected) notes.push(style.warn(`injected ${view.injected}`));
  if (view.refused) notes.push(style.fail(escapeControl(view.refused)));
  if (view.forward) {
    notes.push(
      view.forward.error === null
        ? `app ${statusText(view.forward.status, style)} in ${formatDuration(view.forward.durationMs)}`
        : style.fail(`app unreachable: ${escapeControl(view.forward.error)}`),
    );
  }
  return [
    view.id ?? "",
    style.dim(clock(view.receivedAt)),
    `${escapeControl(view.method)} ${escapeControl(maskUrl(view.path))}`,
    escapeControl(view.eventType ?? "-"),
    escapeControl(view.deliveryId ?? "-"),
    verificationText(view, style),
    formatBytes(view.size),
    statusText(view.status, style),
    notes.join("  "),
  ];
}

function verificationText(view: RequestView, style: Styles): string {
  if (view.verification === "verified")
    return style.ok(`✓ verified${view.scheme ? ` (${view.scheme})` : ""}`);
  if (view.verification === "invalid") return style.fail(`✗ ${escapeControl(view.reason ?? "invalid")}`);
  return style.dim("unverified");
}

function statusText(status: number | null, style: Styles): string {
  if (status === null) return style.warn("→ dropped");
  const text = `→ ${status}`;
  return status >= 200 && status < 300 ? style.ok(text) : style.fail(text);
}

/** Headers and a readable body, indented under the line (listen --verbose, log received show). */
export function detailLines(headers: readonly [string, string][], body: Buffer, style: Styles): string[] {
  const lines = headers.map(
    ([name, value]) =>
      `    ${style.dim(`${escapeControl(name)}:`)} ${escapeControl(maskHeaderValue(name, value, []))}`,
  );
  const shown = bodyText(body);
  if (shown !== "") lines.push("", ...shown.split("\n").map((line) => `    ${line}`));
  return lines;
}

/**
 * For people, not for verification: JSON is re-indented with every value as sent, other text
 * shown with control characters escaped, and binary as a hex dump (first 512 bytes). The stored
 * bytes never change.
 */
export function bodyText(body: Buffer): string {
  if (body.length === 0) return "";
  const text = utf8Text(body);
  if (text === undefined) return hexDump(body, 512);
  return escapeControl(indentJson(text) ?? text, true);
}

function hexDump(body: Buffer, limit: number): string {
  const lines = [`(binary, ${formatBytes(body.length)})`];
  for (let offset = 0; offset < Math.min(body.length, limit); offset += 16) {
    const row = body.subarray(offset, Math.min(offset + 16, body.length));
    const hex = [...row].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...row]
      .map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : "."))
      .join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  if (body.length > limit) lines.push(`… ${formatBytes(body.length - limit)} more`);
  return lines.join("\n");
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

/** Local wall-clock time with milliseconds: what a developer compares with their app's logs. */
function clock(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** One request as `log received --json` lists it (the contract's received-request). */
export function requestJson(view: RequestView): ReceivedRequestJson {
  return {
    id: view.id,
    receivedAt: iso(view.receivedAt),
    method: view.method,
    path: maskUrl(view.path),
    eventType: view.eventType,
    deliveryId: view.deliveryId,
    verification: view.verification,
    reason: view.reason,
    scheme: view.scheme,
    duplicate: view.duplicate,
    statusCode: view.status,
    injected: view.injected,
    refused: view.refused,
    size: view.size,
    durationMs: view.durationMs === null ? null : roundMs(view.durationMs),
  };
}

/** With its headers (as received, credentials masked) and body: `log received show --json`. */
export function requestDetailJson(
  view: RequestView,
  headers: readonly [string, string][],
  body: Uint8Array,
): ReceivedRequestDetailJson {
  return { ...requestJson(view), headers: maskHeaderList(toHeaderList(headers), []), ...bodyFieldsOf(body) };
}

/** `listen --json`: as answered, with the sender's attempt number and the app's answer. */
export function listenRequestJson(view: RequestView, event: RequestEvent): ListenRequestJson {
  const forward = event.forward;
  return {
    ...requestDetailJson(view, event.headers, event.body),
    attempt: event.attempt,
    forward: forward
      ? { statusCode: forward.status, durationMs: roundMs(forward.durationMs), error: forward.error }
      : null,
  };
}

export function summaryLine(summary: ReceiverSummary): string {
  const parts = [
    `received ${summary.received}`,
    `verified ${summary.verified}`,
    `rejected ${summary.rejected}`,
    `duplicates ${summary.duplicates}`,
    `injected failures ${summary.injectedFailures}`,
  ];
  if (summary.unverified > 0) parts.push(`unverified ${summary.unverified}`);
  if (summary.forwarded + summary.forwardErrors > 0)
    parts.push(`forwarded ${summary.forwarded}`, `forward errors ${summary.forwardErrors}`);
  if (summary.refused > 0) parts.push(`refused ${summary.refused}`);
  return `summary: ${parts.join(", ")} (${summary.accepted} ${summary.accepted === 1 ? "delivery" : "deliveries"} accepted)`;
}
