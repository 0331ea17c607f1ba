import { toDelivery } from "./rows.js";
import type { DeliveryRow } from "./types.js";

/** A delivery with the names a listing shows beside it, and its latest attempt's timing. */
export interface DeliveryListItem {
  delivery: DeliveryRow;
  eventType: string;
  /** Null for a bare-URL delivery or one whose endpoint was removed. */
  endpointName: string | null;
  /** The latest attempt's duration and start, null before the first attempt. */
  lastDurationMs: number | null;
  lastAttemptAt: number | null;
  /**
   * Every secret that may appear in what was sent (the delivery's own and all its endpoint's,
   * retired ones too), so a listing masks exactly what a detail view masks. Never print these.
   */
  secrets: string[];
}

// The latest attempt by the (delivery_id, number) unique index: one index probe per row.
const lastAttemptColumns = `
  (SELECT duration_ms FROM attempts a WHERE a.delivery_id = d.id ORDER BY a.number DESC LIMIT 1) AS last_duration_ms,
  (SELECT started_at FROM attempts a WHERE a.delivery_id = d.id ORDER BY a.number DESC LIMIT 1) AS last_attempt_at`;

/** Every listing's SELECT: add a WHERE on `d` (deliveries), `e` (events) or `ep` (endpoints). */
// The endpoint's secrets by the (endpoint_id, created_at) index; null for bare-URL deliveries.
const endpointSecretsColumn = `
  (SELECT json_group_array(s.secret) FROM endpoint_secrets s WHERE s.endpoint_id = d.endpoint_id) AS endpoint_secrets`;

export const listingSelect = `SELECT d.*, e.type AS event_type, ep.name AS endpoint_name, ${lastAttemptColumns}, ${endpointSecretsColumn}
  FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN endpoints ep ON ep.id = d.endpoint_id`;

export function toListItem(raw: Record<string, unknown>): DeliveryListItem {
  const delivery = toDelivery(raw);
  const endpointSecrets = raw.endpoint_secrets
    ? (JSON.parse(raw.endpoint_secrets as string) as unknown[])
    : [];
  const secrets = [
    ...(delivery.secrets ?? []),
    ...endpointSecrets.filter((s): s is string => typeof s === "string"),
  ];
  return {
    delivery,
    secrets: [...new Set(secrets)],
    eventType: raw.event_type as string,
    endpointName: (raw.endpoint_name as string | null) ?? null,
    lastDurationMs: (raw.last_duration_ms as number | null) ?? null,
    lastAttemptAt: (raw.last_attempt_at as number | null) ?? null,
  };
}
