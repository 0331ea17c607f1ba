import type { DeliverySummary } from "../../src/store/browse.js";

/** The clock the component fixtures are measured against. */
export const fixtureNow = Date.UTC(2025, 2, 1, 12, 0, 0);

/** One list row as the browser returns it: a dead letter, i + 1 minutes old. */
export function summary(i: number, extra: Partial<DeliverySummary> = {}): DeliverySummary {
  return {
    id: `dlv_01JN8S0D40ABCDEFGHJK${String(i).padStart(6, "0")}`,
    eventId: `evt_${i}`,
    eventType: `order.created.${i}`,
    endpointName: null,
    url: "https://api.example.com/webhooks/orders",
    status: "dead",
    attemptCount: 11,
    lastStatusCode: 503,
    lastErrorClass: "http",
    lastError: "HTTP 503",
    nextAttemptAt: null,
    createdAt: fixtureNow - (i + 1) * 60_000,
    updatedAt: fixtureNow,
    ...extra,
  };
}
