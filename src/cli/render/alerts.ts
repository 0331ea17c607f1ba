import { formatDuration } from "../../config/duration.js";
import type { AlertFailedEventJson, AlertSentEventJson } from "../../contract/schema/alert.js";
import { iso, isoOrNull } from "../../contract/time.js";
import type { AlertsLeft } from "../../delivery/alerts/runner.js";
import type { AlertEvent } from "../../delivery/alerts/types.js";
import { escapeControl } from "../../format/escape.js";
import type { Output } from "../output.js";

/** An alert outcome as the contract's replay event. */
export function alertEventJson(event: AlertEvent): AlertSentEventJson | AlertFailedEventJson {
  const { alertId, deliveryId, sink, attempt } = event;
  const common = { at: iso(event.at), alertId, deliveryId, sink, attempt };
  if (event.type === "alert-sent") return { type: "alert-sent", ...common };
  return {
    type: "alert-failed",
    ...common,
    error: event.error,
    nextAttemptAt: isoOrNull(event.nextAttemptAt),
  };
}

/** `alert alr_… (dlv_…) to command:… failed: exit status 1; retry in 2s`. */
export function alertFailedLine(event: Extract<AlertEvent, { type: "alert-failed" }>, out: Output): string {
  const then =
    event.nextAttemptAt === null
      ? "given up"
      : `retry in ${formatDuration(Math.max(0, event.nextAttemptAt - event.at))}`;
  return `alert ${event.alertId} to ${escapeControl(event.sink)} ${out.style.fail("failed")}: ${escapeControl(event.error)}; ${then}`;
}

/**
 * The alerts' part of a run's output: each outcome as a JSON line with --json; otherwise a note
 * per failed try, and at the end how many were sent and what is left.
 */
export function createAlertRenderer(out: Output, options: { live: boolean }) {
  let sent = 0;
  let gaveUp = 0;
  return {
    onEvent(event: AlertEvent): void {
      if (event.type === "alert-sent") sent++;
      else if (event.nextAttemptAt === null) gaveUp++;
      if (out.json) {
        out.writeJson(alertEventJson(event));
        return;
      }
      if (event.type === "alert-failed" && !out.quiet) {
        // Above the live status line, which the progress renderer redraws on its next tick.
        out.stderr.write(`${options.live ? "\r\u001b[2K" : ""}${alertFailedLine(event, out)}\n`);
      }
    },
    /** After the run: `2 dead-letter alerts sent`, and what stays pending, in one line each. */
    summary(left: AlertsLeft, flags: string): void {
      if (sent > 0 || gaveUp > 0) {
        const given = gaveUp > 0 ? `, ${gaveUp} given up after a day of failures` : "";
        out.note(`${sent} dead-letter ${sent === 1 ? "alert" : "alerts"} sent${given}`);
      }
      if (left.pending === 0) return;
      const why = left.lastError
        ? `last error: ${escapeControl(left.lastError)}`
        : "not yet tried, or cut short, when the run ended";
      out.note(
        `${left.pending} dead-letter ${left.pending === 1 ? "alert" : "alerts"} not sent yet (${why}); the next replay or serve with the same ${flags} sends ${left.pending === 1 ? "it" : "them"}`,
      );
    },
  };
}
