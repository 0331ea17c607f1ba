import type { RetryPolicy } from "../../delivery/policy.js";
import type { FailureOptions } from "../../receiver/types.js";

/** One receiver the demo starts, how it misbehaves, and what the loop should make of it. */
export interface DemoEndpoint {
  name: string;
  scheme: "hookctl" | "standard";
  behaviour: string;
  failure: FailureOptions;
  fixtures: string[];
  expect: { status: "succeeded" | "dead"; attempts: number };
}

/** Fast enough to watch: 200 ms growing to 5 s over 4 retries (about 7.5 s to a dead letter). */
export const demoPolicy: RetryPolicy = {
  retries: 4,
  initialMs: 200,
  maxDelayMs: 5000,
  factor: null,
  jitter: 0.2,
};

export const demoEndpoints: readonly DemoEndpoint[] = [
  {
    name: "demo-shop",
    scheme: "standard",
    behaviour: "healthy",
    failure: {},
    fixtures: ["order.created", "order.paid"],
    expect: { status: "succeeded", attempts: 1 },
  },
  {
    name: "demo-billing",
    scheme: "hookctl",
    behaviour: "fails twice (503), then recovers",
    failure: { first: 2, status: 503 },
    fixtures: ["invoice.payment_failed"],
    expect: { status: "succeeded", attempts: 3 },
  },
  {
    name: "demo-crm",
    scheme: "hookctl",
    behaviour: "throttles once (429, Retry-After 2)",
    failure: { first: 1, status: 429, retryAfterSeconds: 2 },
    fixtures: ["user.signup"],
    expect: { status: "succeeded", attempts: 2 },
  },
  {
    name: "demo-legacy",
    scheme: "hookctl",
    behaviour: "retired (410 Gone)",
    failure: { rate: 1, status: 410 },
    fixtures: ["ping"],
    expect: { status: "dead", attempts: 1 },
  },
  {
    name: "demo-refunds",
    scheme: "hookctl",
    behaviour: "down (always 503)",
    failure: { rate: 1, status: 503 },
    fixtures: ["payment.refunded"],
    expect: { status: "dead", attempts: 1 + demoPolicy.retries },
  },
];
