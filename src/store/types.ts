export type DeliveryStatus = "pending" | "in_flight" | "succeeded" | "dead";
export const deliveryStatuses: readonly DeliveryStatus[] = ["pending", "in_flight", "succeeded", "dead"];

/** Why an attempt ran: the first one, a retry from the schedule, or a person's requeue. */
export type AttemptTrigger = "initial" | "scheduled" | "manual";

export type ErrorClass = "dns" | "refused" | "reset" | "timeout" | "tls" | "http";

/**
 * How an HTTPS target's certificate is checked when it is not by the system's trust store:
 * skipped (`--insecure`) or against the given CA certificates (`--ca`, PEM text).
 */
export type TlsSetting = { insecure: true; ca: null } | { insecure: false; ca: string };

export interface EventRow {
  id: string;
  type: string;
  body: Buffer;
  contentType: string;
  createdAt: number;
}

export interface DeliveryRow {
  /** Also the X-Webhook-Delivery-ID header: stable across every attempt. */
  id: string;
  eventId: string;
  endpointId: string | null;
  url: string;
  scheme: string;
  extraHeaders: Record<string, string>;
  /**
   * Secrets given with --secret for a bare-URL delivery, so retries sign the same way. Null for
   * endpoint deliveries: those read the endpoint's current secrets at each attempt (rotation).
   */
  secrets: string[] | null;
  /** The retry policy recorded at creation, as JSON (see delivery/policy.ts); null: the defaults. */
  policy: string | null;
  timeoutMs: number;
  /** TLS verification recorded at creation (the flags', else the endpoint's); null: the system's. */
  tls: TlsSetting | null;
  status: DeliveryStatus;
  /** Every attempt ever made. */
  attemptCount: number;
  /** Attempts since the delivery was created or last requeued: what the retry policy counts. */
  scheduleAttempts: number;
  nextAttemptAt: number | null;
  nextTrigger: AttemptTrigger;
  leaseToken: string | null;
  leaseExpiresAt: number | null;
  lastStatusCode: number | null;
  lastErrorClass: ErrorClass | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  /**
   * What is wrong with the row's stored JSON, when something is (the fields above then hold safe
   * stand-ins); a damaged row is listed and shown, never sent.
   */
  damage: string | null;
}

/** One HTTP attempt as it happened; attempts are append-only. */
export interface AttemptRecord {
  deliveryId: string;
  number: number;
  trigger: AttemptTrigger;
  url: string;
  requestHeaders: Record<string, string>;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: Uint8Array | null;
  responseTruncated: boolean;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
}

export interface AttemptRow extends AttemptRecord {
  id: number;
  /** What is wrong with the row's stored JSON, when something is (shown with stand-ins). */
  damage: string | null;
}
