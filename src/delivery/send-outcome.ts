import type { AttemptRecord, DeliveryStatus, EventRow } from "../store/types.js";
import type { DeliveryReport } from "./deliver.js";
import type { DeadReason } from "./policy.js";

/** Where one delivery stands after this run. */
export interface DeliveryOutcome {
  deliveryId: string;
  event: { id: string; type: string };
  url: string;
  endpointName: string | null;
  status: DeliveryStatus;
  /** Attempts recorded for the delivery in all. */
  attempts: number;
  /** Sends this run made (more than 1 only with --duplicate). */
  sends: number;
  /** Sends skipped because another hookctl process held the delivery (e.g. a running replay). */
  skipped: number;
  nextAttemptAt: number | null;
  /** Which retry `nextAttemptAt` is (1 = the first retry). */
  nextRetry: number | null;
  deadReason: DeadReason | null;
  lastAttempt: AttemptSummary | null;
}

/** What an outcome keeps of its latest attempt; the full record is in the log. */
export type AttemptSummary = Pick<
  AttemptRecord,
  "number" | "startedAt" | "durationMs" | "statusCode" | "errorClass" | "errorMessage"
> & {
  /** The start of the response body's first line (raw text, up to 200 characters), if any. */
  bodyLine: string | null;
};

/** Enough of a response body to say why a receiver refused: its first non-blank line. */
export function firstBodyLine(body: Uint8Array | null): string | null {
  if (!body || body.length === 0) return null;
  const text = Buffer.from(body.subarray(0, 1024)).toString("utf8");
  const line = text.split(/\r?\n/).find((l) => l.trim() !== "");
  return line === undefined ? null : line.trim().slice(0, 200);
}

/** A delivery before its first send this run. */
export function initialOutcome(
  deliveryId: string,
  event: EventRow,
  target: { url: string; endpointName: string | null },
): DeliveryOutcome {
  return {
    deliveryId,
    event: { id: event.id, type: event.type },
    url: target.url,
    endpointName: target.endpointName,
    status: "pending",
    attempts: 0,
    sends: 0,
    skipped: 0,
    nextAttemptAt: null,
    nextRetry: null,
    deadReason: null,
    lastAttempt: null,
  };
}

/** Fold one attempt into the outcome. */
export function applyReport(outcome: DeliveryOutcome, report: DeliveryReport): void {
  const { decision, attempt } = report;
  outcome.sends++;
  // A load run holds thousands of outcomes: keep the summary, not headers and bodies.
  outcome.lastAttempt = {
    number: attempt.number,
    startedAt: attempt.startedAt,
    durationMs: attempt.durationMs,
    statusCode: attempt.statusCode,
    errorClass: attempt.errorClass,
    errorMessage: attempt.errorMessage,
    bodyLine: firstBodyLine(attempt.responseBody),
  };
  if (report.stale) {
    // Not recorded: our lease ran out (a stalled process) and another process has the delivery
    // now; it stays unfinished as far as this run knows.
    outcome.status = "pending";
    outcome.attempts = attempt.number;
    outcome.nextAttemptAt = null;
    outcome.nextRetry = null;
    outcome.deadReason = null;
    return;
  }
  outcome.status = decision.status;
  outcome.attempts = attempt.number;
  outcome.nextAttemptAt = decision.status === "pending" ? decision.nextAttemptAt : null;
  outcome.nextRetry = decision.status === "pending" ? decision.retry : null;
  outcome.deadReason = decision.status === "dead" ? decision.reason : null;
}
