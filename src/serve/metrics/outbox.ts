import type { OutboxStats } from "../../store/outbox-stats.js";
import type { ServeStats } from "../app.js";
import type { MetricFamily, Sample } from "./exposition.js";

/** One sample per key of `counts`, labelled `label="<key>"`. */
function by(label: string, counts: Readonly<Record<string, number>>): Sample[] {
  return Object.entries(counts).map(([key, value]) => ({ labels: { [label]: key }, value }));
}

/**
 * Everything `/metrics` reports: this process's counters (since it started, as counters are)
 * and the log's state (shared with every process on it, as gauges).
 */
export function outboxMetrics(stats: ServeStats, log: OutboxStats, now: number): MetricFamily[] {
  const ageSeconds = log.oldestDueAt === null ? 0 : Math.max(0, now - log.oldestDueAt) / 1000;
  return [
    {
      name: "hookctl_events_accepted_total",
      help: "Events accepted by this process (202), not counting repeats of an idempotency key.",
      type: "counter",
      samples: [{ value: stats.acceptedEvents }],
    },
    {
      name: "hookctl_events_duplicate_total",
      help: "Repeats of an idempotency key answered with the first answer.",
      type: "counter",
      samples: [{ value: stats.duplicateEvents }],
    },
    {
      name: "hookctl_deliveries",
      help: "Deliveries in the log, by status.",
      type: "gauge",
      samples: by("status", log.byStatus),
    },
    {
      name: "hookctl_attempts_total",
      help: "Delivery attempts this process finished, by outcome.",
      type: "counter",
      samples: by("outcome", stats.attempts),
    },
    {
      name: "hookctl_queue_depth",
      help: "Pending deliveries due now.",
      type: "gauge",
      samples: [{ value: log.due }],
    },
    {
      name: "hookctl_oldest_due_age_seconds",
      help: "How long the oldest due delivery has waited past its due time; 0 when none is due.",
      type: "gauge",
      samples: [{ value: ageSeconds }],
    },
    {
      name: "hookctl_dead_letters",
      help: "Dead deliveries in the log.",
      type: "gauge",
      samples: [{ value: log.byStatus.dead }],
    },
    {
      name: "hookctl_alerts_total",
      help: "Dead-letter alert sends this process tried, by result.",
      type: "counter",
      samples: by("result", stats.alerts),
    },
    {
      name: "hookctl_alerts_pending",
      help: "Dead-letter alerts queued in the log and not yet sent.",
      type: "gauge",
      samples: [{ value: log.alertsPending }],
    },
  ];
}
