import { formatDuration } from "../../config/duration.js";
import { deadReasonOf as deadReasonWord, lastAttemptOf } from "../../contract/delivery.js";
import { maskUrl } from "../../contract/mask.js";
import type { DeliveryOutcome } from "../../delivery/send.js";
import { escapeControl } from "../../format/escape.js";
import type { DeliveryListItem } from "../../store/deliveries.js";
import type { DeliveryRow, DeliveryStatus } from "../../store/types.js";
import type { Styles } from "../output.js";
import { deadReasonWords, refusalText } from "./refusal.js";
import { when } from "./time.js";

/** The last attempt as lines and JSON show it. */
export interface LastAttemptView {
  number: number;
  statusCode: number | null;
  errorClass: string | null;
  error: string | null;
  durationMs: number | null;
  startedAt: number | null;
  /** The start of the receiver's first body line, when the view has it (send). */
  bodyLine?: string | null;
}

/** What one delivery line (send, log) and its JSON object need, whichever command has it. */
export interface DeliveryView {
  id: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  /** Which retry `nextAttemptAt` is; null when the next attempt is a first or manual one. */
  nextRetry: number | null;
  url: string;
  endpointName: string | null;
  event: { id: string; type: string };
  lastAttempt: LastAttemptView | null;
  deadReason: string | null;
  createdAt: number | null;
  /** `send` only: sends made and skipped this run. */
  sends?: number;
  skipped?: number;
}

export function viewOfOutcome(outcome: DeliveryOutcome): DeliveryView {
  const last = outcome.lastAttempt;
  return {
    id: outcome.deliveryId,
    status: outcome.status,
    attempts: outcome.attempts,
    nextAttemptAt: outcome.nextAttemptAt,
    nextRetry: outcome.nextRetry,
    url: maskUrl(outcome.url),
    endpointName: outcome.endpointName,
    event: outcome.event,
    lastAttempt: last
      ? {
          number: last.number,
          statusCode: last.statusCode,
          errorClass: last.errorClass,
          error: last.errorMessage,
          durationMs: last.durationMs,
          startedAt: last.startedAt,
          bodyLine: last.bodyLine,
        }
      : null,
    deadReason: outcome.deadReason ? deadReasonWords(outcome.deadReason, last?.statusCode ?? null) : null,
    createdAt: null,
    sends: outcome.sends,
    skipped: outcome.skipped,
  };
}

export function viewOfListItem(item: DeliveryListItem): DeliveryView {
  const d = item.delivery;
  return {
    id: d.id,
    status: d.status,
    attempts: d.attemptCount,
    nextAttemptAt: d.status === "pending" ? d.nextAttemptAt : null,
    nextRetry: d.status === "pending" && d.nextTrigger === "scheduled" ? d.scheduleAttempts : null,
    url: maskUrl(d.url, item.secrets),
    endpointName: item.endpointName,
    event: { id: d.eventId, type: item.eventType },
    lastAttempt: lastAttemptOf(item),
    deadReason: d.status === "dead" ? deadReasonOf(d) : null,
    createdAt: d.createdAt,
  };
}

/** `retry 3`, `manual attempt` or `first attempt`: what a pending delivery's next attempt is. */
export function nextAttemptWords(d: Pick<DeliveryRow, "nextTrigger" | "scheduleAttempts">): string {
  if (d.nextTrigger === "scheduled") return `retry ${d.scheduleAttempts}`;
  return d.nextTrigger === "manual" ? "manual attempt" : "first attempt";
}

/** Why a dead delivery is dead, in words (the contract's `deadReason`, spelled out). */
export function deadReasonOf(
  row: Pick<
    DeliveryRow,
    "id" | "status" | "lastStatusCode" | "lastError" | "scheduleAttempts" | "policy" | "damage"
  >,
): string {
  return deadReasonWords(deadReasonWord({ ...row, status: "dead" }), row.lastStatusCode);
}

/** `200`, `503`, `refused`: what the receiver (or the network) answered. */
export function resultLabel(last: { statusCode: number | null; errorClass: string | null }): string {
  return last.statusCode !== null ? String(last.statusCode) : (last.errorClass ?? "error");
}

/**
 * `✓ 200 in 34 ms · order.created · dlv_…` or `✗ 503 in 12 ms · order.created · dlv_…, retry 1
 * at 12:03:04`; `hint` adds where the retry will run.
 */
export function sendLine(view: DeliveryView, style: Styles, options: { now: number; hint: boolean }): string {
  const last = view.lastAttempt;
  const ok = view.status === "succeeded";
  const mark = ok ? style.ok("✓") : style.fail("✗");
  const result = last
    ? `${(ok ? style.ok : style.fail)(resultLabel(last))}${last.durationMs === null ? "" : ` in ${formatDuration(last.durationMs)}`}`
    : style.warn("not sent");
  const copies =
    view.sends !== undefined && view.sends + (view.skipped ?? 0) > 1
      ? style.dim(` (${view.sends} sends)`)
      : "";
  const why = last && !ok ? refusalText({ statusCode: last.statusCode, bodyLine: last.bodyLine }, style) : "";
  // What to do next comes last, after what the receiver said.
  const replayHint =
    options.hint && view.status === "pending" && view.nextAttemptAt !== null && view.sends !== 0;
  return `${mark} ${result} · ${escapeControl(view.event.type)} · ${view.id}${copies}${fate(view, style, options.now)}${why ? ` ·${why}` : ""}${replayHint ? style.dim(" — run hookctl replay") : ""}`;
}

function fate(view: DeliveryView, style: Styles, now: number): string {
  if (view.sends === 0 && (view.skipped ?? 0) > 0)
    return `, ${style.warn("taken by another hookctl process")}`;
  if (view.status === "dead") return `, ${style.fail(`dead: ${view.deadReason ?? "retries exhausted"}`)}`;
  if (view.status !== "pending" || view.nextAttemptAt === null) return "";
  const which = view.nextRetry !== null ? `retry ${view.nextRetry}` : "next attempt";
  return `, ${which} at ${when(view.nextAttemptAt, now)}`;
}

export const statusMarks: Record<DeliveryStatus, (style: Styles) => string> = {
  succeeded: (s) => s.ok("✓"),
  pending: (s) => s.warn("↻"),
  in_flight: (s) => s.accent("→"),
  dead: (s) => s.fail("✗"),
};
