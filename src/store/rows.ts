import type { AttemptRow, DeliveryRow, EventRow } from "./types.js";

/** SQLite rows (snake_case columns) into the typed records the rest of hookctl uses. */
type Raw = Record<string, unknown>;

export function toDelivery(raw: Raw): DeliveryRow {
  return {
    id: raw.id as string,
    eventId: raw.event_id as string,
    endpointId: (raw.endpoint_id as string | null) ?? null,
    url: raw.url as string,
    scheme: raw.scheme as string,
    extraHeaders: JSON.parse(raw.extra_headers as string) as Record<string, string>,
    secrets: raw.secrets ? (JSON.parse(raw.secrets as string) as string[]) : null,
    policy: raw.policy as string,
    timeoutMs: raw.timeout_ms as number,
    status: raw.status as DeliveryRow["status"],
    attemptCount: raw.attempt_count as number,
    scheduleAttempts: raw.schedule_attempts as number,
    nextAttemptAt: (raw.next_attempt_at as number | null) ?? null,
    nextTrigger: raw.next_trigger as DeliveryRow["nextTrigger"],
    leaseToken: (raw.lease_token as string | null) ?? null,
    leaseExpiresAt: (raw.lease_expires_at as number | null) ?? null,
    lastStatusCode: (raw.last_status_code as number | null) ?? null,
    lastErrorClass: (raw.last_error_class as DeliveryRow["lastErrorClass"]) ?? null,
    lastError: (raw.last_error as string | null) ?? null,
    createdAt: raw.created_at as number,
    updatedAt: raw.updated_at as number,
    completedAt: (raw.completed_at as number | null) ?? null,
  };
}

export function toEvent(raw: Raw): EventRow {
  return {
    id: raw.id as string,
    type: raw.type as string,
    body: raw.body as Buffer,
    contentType: raw.content_type as string,
    createdAt: raw.created_at as number,
  };
}

export function toAttempt(raw: Raw): AttemptRow {
  return {
    id: raw.id as number,
    deliveryId: raw.delivery_id as string,
    number: raw.number as number,
    trigger: raw.trigger as AttemptRow["trigger"],
    url: raw.url as string,
    requestHeaders: JSON.parse(raw.request_headers as string) as Record<string, string>,
    startedAt: raw.started_at as number,
    durationMs: raw.duration_ms as number,
    statusCode: (raw.status_code as number | null) ?? null,
    responseHeaders: raw.response_headers
      ? (JSON.parse(raw.response_headers as string) as Record<string, string>)
      : null,
    responseBody: (raw.response_body as Buffer | null) ?? null,
    responseTruncated: raw.response_truncated === 1,
    errorClass: (raw.error_class as AttemptRow["errorClass"]) ?? null,
    errorMessage: (raw.error_message as string | null) ?? null,
  };
}
