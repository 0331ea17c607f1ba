import { storedHeaderObject, storedPolicy, storedSecrets } from "../contract/schema/stored.js";
import { DamagedRowError, parseStoredJson } from "./stored-json.js";
import type { AttemptRow, DeliveryRow, EventRow, TlsSetting } from "./types.js";

/** SQLite rows (snake_case columns) into the typed records the rest of hookctl uses. */
type Raw = Record<string, unknown>;

/**
 * One delivery row. Its JSON columns are checked; a damaged one does not break the listing it
 * is in: the row comes back with safe stand-ins (no extra headers, no secrets, the default
 * policy) and `damage` saying what was wrong, and schedulers never send it (see Leases).
 */
export function toDelivery(raw: Raw): DeliveryRow {
  const { checked, damage } = faultCollector();
  const where = `deliveries ${raw.id}`;
  const extraHeaders = checked(
    () => parseStoredJson(storedHeaderObject, raw.extra_headers, `${where} extra_headers`),
    {} as Record<string, string>,
  );
  const secrets = raw.secrets ? checked(() => checkedSecrets(raw.secrets, `${where} secrets`), null) : null;
  const policy = checked(() => checkedPolicy(raw.policy, `${where} policy`), null);
  return {
    id: raw.id as string,
    eventId: raw.event_id as string,
    endpointId: (raw.endpoint_id as string | null) ?? null,
    url: raw.url as string,
    scheme: raw.scheme as string,
    extraHeaders,
    secrets,
    policy,
    timeoutMs: raw.timeout_ms as number,
    tls: tlsOf(raw),
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
    damage: damage(),
  };
}

/**
 * Reads of a row's JSON columns that keep going past a damaged one: `checked(read, fallback)`
 * gives the fallback and remembers the fault; `damage()` says what was wrong, or null.
 */
function faultCollector() {
  const faults: string[] = [];
  return {
    checked<T>(read: () => T, fallback: T): T {
      try {
        return read();
      } catch (error) {
        if (!(error instanceof DamagedRowError)) throw error;
        faults.push(error.fault);
        return fallback;
      }
    },
    damage: (): string | null => (faults.length > 0 ? faults.join("; ") : null),
  };
}

/** The tls_insecure and tls_ca columns (deliveries and endpoints) as one setting. */
export function tlsOf(raw: Raw): TlsSetting | null {
  if (raw.tls_insecure === 1) return { insecure: true, ca: null };
  return typeof raw.tls_ca === "string" ? { insecure: false, ca: raw.tls_ca } : null;
}

/** A setting as the two columns' named parameters. */
export function tlsColumns(tls: TlsSetting | null | undefined): {
  tlsInsecure: 1 | null;
  tlsCa: string | null;
} {
  return { tlsInsecure: tls?.insecure ? 1 : null, tlsCa: tls?.ca ?? null };
}

let lastGoodSecrets: { text: unknown; secrets: string[] } | undefined;

/**
 * The secrets column parsed and checked; a run of rows with the same secrets (a load run, a
 * requeued batch) is parsed once and shares one read-only array.
 */
function checkedSecrets(text: unknown, where: string): string[] {
  const last = lastGoodSecrets;
  if (last && last.text === text) return last.secrets;
  const secrets = parseStoredJson(storedSecrets, text, where);
  lastGoodSecrets = { text, secrets };
  return secrets;
}

let lastGoodPolicy: string | undefined;

/** The policy column as stored when it reads as a policy (runs of one policy are checked once). */
function checkedPolicy(value: unknown, where: string): string | null {
  if (value === null || value === undefined) return null;
  if (value !== lastGoodPolicy) {
    parseStoredJson(storedPolicy, value, where);
    lastGoodPolicy = value as string;
  }
  return lastGoodPolicy;
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

/** One attempt; like a delivery, a damaged JSON column gives a stand-in and `damage`, not an error. */
export function toAttempt(raw: Raw): AttemptRow {
  const { checked, damage } = faultCollector();
  const where = `attempts ${raw.id}`;
  const requestHeaders = checked(
    () => parseStoredJson(storedHeaderObject, raw.request_headers, `${where} request_headers`),
    {} as Record<string, string>,
  );
  const responseHeaders = raw.response_headers
    ? checked(
        () => parseStoredJson(storedHeaderObject, raw.response_headers, `${where} response_headers`),
        null,
      )
    : null;
  return {
    id: raw.id as number,
    deliveryId: raw.delivery_id as string,
    number: raw.number as number,
    trigger: raw.trigger as AttemptRow["trigger"],
    url: raw.url as string,
    requestHeaders,
    startedAt: raw.started_at as number,
    durationMs: raw.duration_ms as number,
    statusCode: (raw.status_code as number | null) ?? null,
    responseHeaders,
    responseBody: (raw.response_body as Buffer | null) ?? null,
    responseTruncated: raw.response_truncated === 1,
    errorClass: (raw.error_class as AttemptRow["errorClass"]) ?? null,
    errorMessage: (raw.error_message as string | null) ?? null,
    damage: damage(),
  };
}
