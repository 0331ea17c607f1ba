import { sign } from "../signing/index.js";
import type { SchemeName } from "../signing/types.js";
import type { Leases, NextState } from "../store/leases.js";
import type { AttemptRecord, DeliveryRow, EventRow } from "../store/types.js";
import { type Decision, decideNext, parsePolicy, parseRetryAfter, type RetryPolicy } from "./policy.js";
import type { AttemptFn } from "./types.js";

/** A delivery this process holds the lease on, with what is needed to send it. */
export interface ClaimedDelivery {
  delivery: DeliveryRow;
  event: EventRow;
  /** Secrets to sign with, primary first; empty sends unsigned. */
  secrets: readonly string[];
  leaseToken: string;
  /** Overrides the policy recorded with the delivery (replay's policy flags). */
  policy?: RetryPolicy;
}

export interface DeliverDeps {
  leases: Leases;
  attempt: AttemptFn;
  now: () => number;
  random: () => number;
  userAgent: string;
  randomHex: (bytes: number) => string;
}

export interface DeliveryReport {
  delivery: DeliveryRow;
  event: EventRow;
  attempt: AttemptRecord;
  decision: Decision;
  /** The lease was lost before completion: nothing was recorded, another scheduler owns it. */
  stale: boolean;
}

/** The headers of one attempt: ours, the scheme's signature, then the user's -H extras. */
export function buildRequestHeaders(
  claimed: ClaimedDelivery,
  deps: Pick<DeliverDeps, "now" | "userAgent" | "randomHex">,
) {
  const { delivery, event } = claimed;
  const timestamp = Math.floor(deps.now() / 1000);
  const headers: Record<string, string> = {
    "Content-Type": event.contentType,
    "User-Agent": deps.userAgent,
    "X-Webhook-Delivery-ID": delivery.id,
    "X-Webhook-Event": event.type,
    "X-Webhook-Timestamp": String(timestamp),
    // A fresh W3C trace per attempt; the delivery id is what ties attempts together.
    traceparent: `00-${deps.randomHex(16)}-${deps.randomHex(8)}-01`,
  };
  if (claimed.secrets.length > 0) {
    const signed = sign({
      scheme: delivery.scheme as SchemeName,
      body: event.body,
      secrets: claimed.secrets,
      id: delivery.id,
      timestamp,
    });
    Object.assign(headers, signed.headers);
  }
  return Object.assign(headers, delivery.extraHeaders);
}

/** One attempt made and judged, not yet recorded: what the log is to be told. */
export interface AttemptResult {
  attempt: AttemptRecord;
  decision: Decision;
  next: NextState;
}

/**
 * Make one attempt of a leased delivery and decide what comes next by its policy. Nothing is
 * written here: the caller records `next` under the lease (the engine, in its next batch).
 */
export async function makeAttempt(
  claimed: ClaimedDelivery,
  deps: Omit<DeliverDeps, "leases">,
  signal?: AbortSignal,
): Promise<AttemptResult> {
  const { delivery } = claimed;
  const requestHeaders = buildRequestHeaders(claimed, deps);
  const outcome = await deps.attempt(
    {
      url: delivery.url,
      headers: requestHeaders,
      body: claimed.event.body,
      timeoutMs: delivery.timeoutMs,
      tls: delivery.tls,
    },
    signal,
  );
  const attempt: AttemptRecord = {
    deliveryId: delivery.id,
    number: delivery.attemptCount + 1,
    trigger: delivery.nextTrigger,
    url: delivery.url,
    requestHeaders,
    ...outcome,
  };
  const now = deps.now();
  const decision = decideNext(
    claimed.policy ?? parsePolicy(delivery.policy, `deliveries ${delivery.id} policy`),
    {
      attemptsMade: delivery.scheduleAttempts + 1,
      statusCode: outcome.statusCode,
      retryAfterMs: parseRetryAfter(outcome.responseHeaders?.["retry-after"], now),
      now,
      random: deps.random,
    },
  );
  const next: NextState =
    decision.status === "pending"
      ? { status: "pending", nextAttemptAt: decision.nextAttemptAt }
      : { status: decision.status };
  return { attempt, decision, next };
}

/**
 * Make one attempt and record it at once, in its own short transaction guarded by the lease
 * token (a single manual retry; the engine batches its records instead). The lease must already
 * outlast the attempt: the attempt is bounded by the delivery's timeout.
 */
export async function deliverClaimed(
  claimed: ClaimedDelivery,
  deps: DeliverDeps,
  signal?: AbortSignal,
): Promise<DeliveryReport> {
  const { attempt, decision, next } = await makeAttempt(claimed, deps, signal);
  const recorded = deps.leases.complete(claimed.leaseToken, attempt, next, deps.now());
  return { delivery: claimed.delivery, event: claimed.event, attempt, decision, stale: !recorded };
}
