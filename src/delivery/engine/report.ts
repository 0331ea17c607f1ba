import type { DeliveryReport } from "../deliver.js";
import type { SchedulerEvent } from "./events.js";

/** What a finished attempt adds to the run's tally. */
export interface Tally {
  succeeded: number;
  dead: number;
  attempts: number;
  lost: number;
}

/**
 * Count a finished attempt and say it as events (attempt-finished, then succeeded or dead);
 * without a listener only the tally moves.
 */
export function reportAttempt(
  report: DeliveryReport,
  recorded: boolean,
  at: number,
  tally: Tally,
  emit: ((event: SchedulerEvent) => void) | undefined,
): void {
  const { attempt, decision, delivery } = report;
  tally.attempts++;
  if (!emit) {
    if (!recorded) tally.lost++;
    else if (decision.status === "succeeded") tally.succeeded++;
    else if (decision.status === "dead") tally.dead++;
    return;
  }
  const result = !recorded ? "lost" : decision.status === "pending" ? "retry" : decision.status;
  emit({
    type: "attempt-finished",
    at,
    deliveryId: delivery.id,
    eventType: report.event.type,
    url: attempt.url,
    attempt: attempt.number,
    trigger: attempt.trigger,
    statusCode: attempt.statusCode,
    errorClass: attempt.errorClass,
    error: attempt.errorMessage,
    durationMs: attempt.durationMs,
    result,
    nextAttemptAt: recorded && decision.status === "pending" ? decision.nextAttemptAt : null,
    deadReason: recorded && decision.status === "dead" ? decision.reason : null,
    record: attempt,
  });
  if (!recorded) {
    tally.lost++;
  } else if (decision.status === "succeeded") {
    tally.succeeded++;
    emit({ type: "delivery-succeeded", at, deliveryId: delivery.id, attempts: attempt.number });
  } else if (decision.status === "dead") {
    tally.dead++;
    emit({
      type: "delivery-dead",
      at,
      deliveryId: delivery.id,
      reason: decision.reason,
      attempts: attempt.number,
      error: attempt.errorMessage,
    });
  }
}
