import { sign } from "../signing/index.js";
import type { SchemeName } from "../signing/types.js";
import type { Leases } from "../store/leases.js";
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
  /** Lease length; renewed every third of it while the attempt runs. */
  leaseMs: number;
  /** False when the caller renews its leases itself (send renews a whole run's at once). */
  renewEachAttempt?: boolean;
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

/**
 * Run one attempt of a leased delivery and record it. The HTTP call happens outside any
 * transaction; the result is written in one short transaction guarded by the lease token.
 */
export async function deliverClaimed(
  claimed: ClaimedDelivery,
  deps: DeliverDeps,
  signal?: AbortSignal,
): Promise<DeliveryReport> {
  const { delivery } = claimed;
  const requestHeaders = buildRequestHeaders(claimed, deps);
  const renewal =
    deps.renewEachAttempt === false
      ? undefined
      : setInterval(
          () => {
            deps.leases.renew(delivery.id, claimed.leaseToken, deps.now() + deps.leaseMs);
          },
          Math.max(1000, deps.leaseMs / 3),
        );
  renewal?.unref();
  let outcome: Awaited<ReturnType<AttemptFn>>;
  try {
    outcome = await deps.attempt(
      {
        url: delivery.url,
        headers: requestHeaders,
        body: claimed.event.body,
        timeoutMs: delivery.timeoutMs,
        tls: delivery.tls,
      },
      signal,
    );
  } finally {
    clearInterval(renewal);
  }
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
  const next =
    decision.status === "pending"
      ? { status: "pending" as const, nextAttemptAt: decision.nextAttemptAt }
      : { status: decision.status };
  const recorded = deps.leases.complete(claimed.leaseToken, attempt, next, now);
  return { delivery, event: claimed.event, attempt, decision, stale: !recorded };
}
