import { effectiveFactor, isRejection, parsePolicy } from "../delivery/policy.js";
import type { DeliveryDetail, DeliveryListItem } from "../store/deliveries.js";
import type { AttemptRecord, DeliveryRow, EventRow, TlsSetting } from "../store/types.js";
import { bodyFieldsOf } from "./body.js";
import { toHeaderList } from "./headers.js";
import { maskHeaderList, maskSecret, maskUrl } from "./mask.js";
import type { RetryPolicyJson, TlsVerificationJson } from "./schema/common.js";
import type { AttemptJson, DeliveryDetailJson, DeliveryJson, EventJson } from "./schema/delivery.js";
import { iso, isoOrNull, roundMs } from "./time.js";

/**
 * Store rows into the contract's delivery, attempt and event objects. Every command, API and
 * screen that shows one of these goes through here, so they cannot drift apart, and the one
 * masking rule is applied on the way out.
 */

export type DeliveryItem = DeliveryListItem;

/** A listed delivery's latest attempt, as its row and the listing know it (times in ms). */
export interface ListedAttempt {
  number: number;
  statusCode: number | null;
  errorClass: DeliveryRow["lastErrorClass"];
  error: string | null;
  durationMs: number | null;
  startedAt: number | null;
}

/** The latest attempt of a listed delivery, null before its first: one shape for JSON and lines. */
export function lastAttemptOf(item: DeliveryListItem): ListedAttempt | null {
  const d = item.delivery;
  if (d.attemptCount === 0) return null;
  return {
    number: d.attemptCount,
    statusCode: d.lastStatusCode,
    errorClass: d.lastErrorClass,
    error: d.lastError,
    durationMs: item.lastDurationMs,
    startedAt: item.lastAttemptAt,
  };
}

/**
 * Why a dead delivery is dead, as a status word. A rejection (a 4xx retrying cannot fix) that
 * came before the retries ran out is `rejected`; at the last retry it is `exhausted`, as the
 * policy decided it.
 */
export function deadReasonOf(
  row: Pick<
    DeliveryRow,
    "id" | "status" | "lastStatusCode" | "lastError" | "scheduleAttempts" | "policy" | "damage"
  >,
): DeliveryJson["deadReason"] {
  if (row.status !== "dead") return null;
  // Schedulers shelve a damaged row without an attempt; its damage is found again on every read.
  if (row.damage !== null) return "damaged";
  if (row.lastStatusCode === 410) return "gone";
  if (row.lastError === "endpoint removed") return "endpoint-removed";
  if (isRejection(row.lastStatusCode) && row.scheduleAttempts <= storedRetries(row)) return "rejected";
  return "exhausted";
}

function storedRetries(row: Pick<DeliveryRow, "id" | "policy">): number {
  try {
    return parsePolicy(row.policy, `deliveries ${row.id} policy`).retries;
  } catch {
    // A damaged policy is reported where the policy is shown; the reason falls back.
    return Number.POSITIVE_INFINITY;
  }
}

/** A recorded TLS setting as the contract shows it: which check, never the PEM itself. */
export function tlsJson(tls: TlsSetting | null | undefined): TlsVerificationJson {
  return { insecure: tls?.insecure === true, ca: tls?.ca != null };
}

/** The policy recorded as JSON, with its growth factor worked out. */
export function policyJson(recorded: string | null | undefined, where?: string): RetryPolicyJson {
  const policy = parsePolicy(recorded, where);
  return { ...policy, factor: effectiveFactor(policy), retry4xx: policy.retry4xx === true };
}

/** One delivery as the contract shows it. `secrets`: every secret to mask wherever it occurs. */
export function deliveryJson(item: DeliveryItem, secrets: readonly string[] = item.secrets): DeliveryJson {
  const d = item.delivery;
  const pending = d.status === "pending";
  const last = lastAttemptOf(item);
  return {
    id: d.id,
    status: d.status,
    event: { id: d.eventId, type: item.eventType },
    endpoint: item.endpointName,
    url: maskUrl(d.url, secrets),
    scheme: d.scheme,
    signing: {
      source: d.secrets ? "delivery" : d.endpointId ? "endpoint" : "none",
      secrets: (d.secrets ?? []).map(maskSecret),
    },
    headers: maskHeaderList(toHeaderList(d.extraHeaders), secrets),
    timeoutMs: d.timeoutMs,
    policy: policyJson(d.policy, `deliveries ${d.id} policy`),
    tls: tlsJson(d.tls),
    attemptCount: d.attemptCount,
    scheduleAttempts: d.scheduleAttempts,
    nextAttemptAt: pending ? isoOrNull(d.nextAttemptAt) : null,
    nextTrigger: pending ? d.nextTrigger : null,
    nextRetry: pending && d.nextTrigger === "scheduled" ? d.scheduleAttempts : null,
    lastAttempt: last && {
      ...last,
      durationMs: last.durationMs === null ? null : roundMs(last.durationMs),
      startedAt: isoOrNull(last.startedAt),
    },
    deadReason: deadReasonOf(d),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
    completedAt: isoOrNull(d.completedAt),
    damage: d.damage,
  };
}

export function attemptJson(a: AttemptRecord, secrets: readonly string[]): AttemptJson {
  const body = bodyFieldsOf(a.responseBody);
  return {
    deliveryId: a.deliveryId,
    number: a.number,
    trigger: a.trigger,
    url: maskUrl(a.url, secrets),
    startedAt: iso(a.startedAt),
    durationMs: roundMs(a.durationMs),
    statusCode: a.statusCode,
    errorClass: a.errorClass,
    error: a.errorMessage,
    requestHeaders: maskHeaderList(toHeaderList(a.requestHeaders), secrets),
    responseHeaders: a.responseHeaders ? maskHeaderList(toHeaderList(a.responseHeaders), secrets) : null,
    responseBody: body.body,
    responseBodyBase64: body.bodyBase64,
    responseTruncated: a.responseTruncated,
    damage: "damage" in a ? (a.damage as string | null) : null,
  };
}

/** The event with its body exactly as stored (text when UTF-8, else base64). */
export function eventJson(e: EventRow): EventJson {
  return {
    id: e.id,
    type: e.type,
    contentType: e.contentType,
    createdAt: iso(e.createdAt),
    size: e.body.length,
    ...bodyFieldsOf(e.body),
  };
}

/** `log show`, `dlq show` and inspect's detail: the delivery, its event and every attempt. */
export function deliveryDetailJson(detail: DeliveryDetail): DeliveryDetailJson {
  const last = detail.attempts.at(-1);
  const item: DeliveryItem = {
    delivery: detail.delivery,
    eventType: detail.event.type,
    endpointName: detail.endpointName,
    lastDurationMs: last?.durationMs ?? null,
    lastAttemptAt: last?.startedAt ?? null,
    secrets: detail.secrets,
  };
  return {
    delivery: deliveryJson(item, detail.secrets),
    event: eventJson(detail.event),
    attempts: detail.attempts.map((attempt) => attemptJson(attempt, detail.secrets)),
  };
}
