import * as z from "zod/mini";
import {
  attemptTrigger,
  bodyFields,
  deliveryStatus,
  errorClass,
  instant,
  milliseconds,
  retryPolicy,
  tlsVerification,
} from "./common.js";
import { headerList } from "./headers.js";

/** The latest attempt, as every delivery carries it. */
export const lastAttempt = z.object({
  number: z.int(),
  statusCode: z.nullable(z.int()),
  errorClass: z.nullable(errorClass),
  error: z.nullable(z.string()),
  durationMs: z.nullable(milliseconds),
  startedAt: z.nullable(instant),
});

/**
 * One delivery: the same object in `send`, `log`, `log show`, `dlq list`, `dlq show`, `replay`
 * and `inspect`. Secrets and credentials in it are masked.
 */
export const delivery = z.object({
  /** Also the X-Webhook-Delivery-ID header: stable across every attempt. */
  id: z.string(),
  status: deliveryStatus,
  event: z.object({ id: z.string(), type: z.string() }),
  /** The endpoint's name; null for a delivery to a bare URL (or a removed endpoint). */
  endpoint: z.nullable(z.string()),
  url: z.string(),
  scheme: z.string(),
  /** Where the signing secrets come from: given with the delivery, the endpoint's, or none. */
  signing: z.object({
    source: z.enum(["delivery", "endpoint", "none"]),
    secrets: z.array(z.string()),
  }),
  /** Headers added to every attempt besides the ones hookctl sets. */
  headers: headerList,
  timeoutMs: milliseconds,
  policy: retryPolicy,
  /** How its https connections verify the server (recorded with it; added in 0.2.x). */
  tls: tlsVerification,
  /** Every attempt ever made (attempt numbers never repeat). */
  attemptCount: z.int(),
  /** Attempts since the delivery was created or last requeued: what the retry policy counts. */
  scheduleAttempts: z.int(),
  /** Pending only: when the next attempt is due, and which kind it is. */
  nextAttemptAt: z.nullable(instant),
  nextTrigger: z.nullable(attemptTrigger),
  /** Which retry the next attempt is (1 = the first retry); null for a first or manual attempt. */
  nextRetry: z.nullable(z.int()),
  lastAttempt: z.nullable(lastAttempt),
  /**
   * Dead only: 410 Gone, retries used up, a 4xx that says the request is wrong (`rejected`: 400,
   * 401, 403, 404, 422, …; not retried unless the policy has `retry4xx`), the endpoint was
   * removed, or the stored row is damaged.
   */
  deadReason: z.nullable(z.enum(["gone", "exhausted", "rejected", "endpoint-removed", "damaged"])),
  /**
   * What is wrong with this row's stored JSON, when something is: the fields above then show
   * safe stand-ins (no extra headers, no secrets, the default policy); it is never sent.
   */
  damage: z.nullable(z.string()),
  createdAt: instant,
  updatedAt: instant,
  completedAt: z.nullable(instant),
});

/** One HTTP attempt as it happened; attempts are append-only. */
export const attempt = z.object({
  deliveryId: z.string(),
  number: z.int(),
  trigger: attemptTrigger,
  url: z.string(),
  startedAt: instant,
  durationMs: milliseconds,
  statusCode: z.nullable(z.int()),
  errorClass: z.nullable(errorClass),
  error: z.nullable(z.string()),
  requestHeaders: headerList,
  responseHeaders: z.nullable(headerList),
  /** The response body as kept: at most 64 KiB (`responseTruncated` says when it was cut). */
  responseBody: bodyFields.body,
  responseBodyBase64: bodyFields.bodyBase64,
  responseTruncated: z.boolean(),
  /** What is wrong with this attempt's stored JSON, when something is (headers then show none). */
  damage: z.nullable(z.string()),
});

/** An event with its body exactly as stored. */
export const event = z.object({
  id: z.string(),
  type: z.string(),
  contentType: z.string(),
  createdAt: instant,
  size: z.int(),
  ...bodyFields,
});

/** `log show --json`, `dlq show --json`: a delivery with its event and every attempt. */
export const deliveryDetail = z.object({
  delivery,
  event,
  attempts: z.array(attempt),
});

/** `send --json`: the delivery as this run left it, and how many sends it made (`--duplicate`). */
export const sendResult = z.extend(delivery, {
  sends: z.int(),
  /** Sends skipped because another hookctl process held the delivery. */
  skipped: z.int(),
});

export type DeliveryJson = z.infer<typeof delivery>;
export type LastAttemptJson = z.infer<typeof lastAttempt>;
export type AttemptJson = z.infer<typeof attempt>;
export type EventJson = z.infer<typeof event>;
export type DeliveryDetailJson = z.infer<typeof deliveryDetail>;
export type SendResultJson = z.infer<typeof sendResult>;
