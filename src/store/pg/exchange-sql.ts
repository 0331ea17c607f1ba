import { newDeliveryParams } from "../deliveries.js";
import type { ExchangeRequest } from "../engine-port.js";
import { queueDeadLetterAlertsSql } from "./dead-letter-alerts.js";
import {
  freeSlotsCte,
  heldBackSql,
  type LimitedClaim,
  limitedClaimCtes,
  limitedEndpoints,
  takeLimitCtes,
} from "./limits-sql.js";

/** The channel every writer that makes deliveries due notifies, in its own transaction. */
export const workChannel = "hookctl_work";
/** A NOTIFY as an expression, for a statement that should wake the engines when it commits. */
export const notifyWork = `pg_notify('${workChannel}', '')`;

/**
 * An expression that notifies `workChannel` once if the CTE `source` has a row, and says whether
 * it did. The notification is counted so that the planner keeps the call.
 */
export function notifyIfAny(source: string): string {
  return `((SELECT count(n) FROM (SELECT ${notifyWork}::text AS n FROM (SELECT 1 FROM ${source} LIMIT 1) x) y) > 0)`;
}

/** Positional parameters with their casts, collected as a statement is put together. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** One column of an `unnest`: its values and their element type. */
export type Column = readonly [readonly unknown[], string];

/** `unnest($1::text[], $2::bigint[], …)`: many rows sent as one array per column. */
export function unnest(p: Params, columns: readonly Column[]): string {
  return `unnest(${columns.map(([values, type]) => p.add(values, `${type}[]`)).join(", ")})`;
}

/** Pending rows of a scope set, as a condition on `deliveries` (or its alias). */
export function inScope(params: Params, set: string | undefined, column = "id"): string {
  return set === undefined
    ? "TRUE"
    : `${column} IN (SELECT delivery_id FROM scope_sets WHERE set_name = ${params.add(set, "text")})`;
}

export function notExcluded(params: Params, exclude: readonly string[]): string {
  return exclude.length === 0
    ? "TRUE"
    : `(endpoint_id IS NULL OR endpoint_id <> ALL(${params.add(exclude, "text[]")}))`;
}

/**
 * A whole exchange as ONE statement (one round trip, atomic without BEGIN/COMMIT): data-modifying
 * CTEs write the completions (deliveries and their attempts), the releases, the inserted events
 * and deliveries, reopen `again` rows and claim due ones; the final SELECT gives one row per
 * leased delivery (reopened first, then claimed in due order) with its event and the endpoint's
 * secrets, plus `recorded` (which completions held their lease) on every row. It always returns
 * at least one row; a row without work has a null `id`.
 *
 * The CTEs run on one snapshot, so a completion that makes its delivery due again now is claimed
 * by the next exchange rather than this one; claims see only rows pending in that snapshot and
 * lock them with SKIP LOCKED, so two schedulers never claim one row. A limited endpoint's rows
 * take a slot and a token in the same statement, and completions and releases free their slots
 * (limits-sql.ts): its limits hold across every scheduler on the log.
 */
export function exchangeStatement(request: ExchangeRequest, scopeSet: string | undefined) {
  const p = new Params();
  const now = p.add(request.now, "bigint");
  const ctes: string[] = [];
  let recorded = "NULL::int[]";
  let notify = "FALSE";
  let heldBack = "FALSE";
  let gone = "NULL::text[]";
  const { completions, releases, insert, again, claim } = request;
  if (completions.length > 0) {
    const of = <T>(pick: (c: (typeof completions)[number]) => T) => completions.map(pick);
    const columns: Column[] = [
      [of((c) => c.attempt.deliveryId), "text"],
      [of((c) => c.token), "text"],
      [of((c) => c.next.status), "text"],
      [of((c) => (c.next.status === "pending" ? c.next.nextAttemptAt : null)), "bigint"],
      [of((c) => c.attempt.number), "int"],
      [of((c) => c.attempt.trigger), "text"],
      [of((c) => c.attempt.url), "text"],
      [of((c) => JSON.stringify(c.attempt.requestHeaders)), "text"],
      [of((c) => c.attempt.startedAt), "bigint"],
      [of((c) => c.attempt.durationMs), "float8"],
      [of((c) => c.attempt.statusCode), "int"],
      [of((c) => (c.attempt.responseHeaders ? JSON.stringify(c.attempt.responseHeaders) : null)), "text"],
      [of((c) => c.attempt.responseBody), "bytea"],
      [of((c) => (c.attempt.responseTruncated ? 1 : 0)), "int"],
      [of((c) => c.attempt.errorClass), "text"],
      [of((c) => c.attempt.errorMessage), "text"],
    ];
    ctes.push(`input AS (
      SELECT * FROM ${unnest(p, columns)} WITH ORDINALITY AS c(id, token, status, next_at, number, trigger, url, request_headers, started_at,
        duration_ms, status_code, response_headers, response_body, response_truncated, error_class, error_message, ord))`);
    ctes.push(`done AS (
      UPDATE deliveries d SET status = c.status, lease_token = NULL, lease_expires_at = NULL,
        attempt_count = d.attempt_count + 1, schedule_attempts = d.schedule_attempts + 1,
        next_attempt_at = c.next_at, next_trigger = 'scheduled',
        last_status_code = c.status_code, last_error_class = c.error_class, last_error = c.error_message,
        updated_at = ${now}, completed_at = CASE WHEN c.status = 'pending' THEN NULL ELSE ${now} END
      FROM input c WHERE d.id = c.id AND d.status = 'in_flight' AND d.lease_token = c.token
      RETURNING c.ord, d.id, d.attempt_count, d.status)`);
    ctes.push(`recorded_attempts AS (
      INSERT INTO attempts (delivery_id, number, trigger, url, request_headers, started_at, duration_ms,
        status_code, response_headers, response_body, response_truncated, error_class, error_message)
      SELECT c.id, c.number, c.trigger, c.url, c.request_headers, c.started_at, c.duration_ms,
        c.status_code, c.response_headers, c.response_body, c.response_truncated, c.error_class, c.error_message
      FROM input c JOIN done ON done.ord = c.ord)`);
    recorded = "(SELECT array_agg(ord::int) FROM done)";
    // Only a batch with a death pays for the alert queueing; it reads the deaths from `done`,
    // since a sibling CTE would not see the dying UPDATE's changes in the table.
    if (completions.some((c) => c.next.status === "dead")) {
      ctes.push(
        `dead_alerts AS (${queueDeadLetterAlertsSql("(SELECT id, attempt_count FROM done WHERE status = 'dead')", now)})`,
      );
    }
  }
  if (releases.length > 0) {
    ctes.push(`released AS (
      UPDATE deliveries d SET status = 'pending', lease_token = NULL, lease_expires_at = NULL, updated_at = ${now}
      FROM ${unnest(p, [
        [releases.map((r) => r.id), "text"],
        [releases.map((r) => r.token), "text"],
      ])} AS r(id, token)
      WHERE d.id = r.id AND d.status = 'in_flight' AND d.lease_token = r.token
      RETURNING d.id)`);
    // Handed back due: other schedulers may take them now.
    notify = notifyIfAny("released");
  }
  const held = [...completions.map((c) => ({ id: c.attempt.deliveryId, token: c.token })), ...releases];
  if (held.length > 0) {
    ctes.push(freeSlotsCte(p, now, held));
    // A slot came free: engines waiting on a full endpoint may claim now.
    notify = `(${notify} OR ${notifyIfAny("freed_slots")})`;
  }
  const parkedFrom: string[] = [];
  if (insert && insert.items.length > 0) {
    ctes.push(...insertCtes(p, now, insert));
    parkedFrom.push("SELECT id FROM parked_rows");
  }
  const work: string[] = [];
  if (again && again.ids.length > 0) {
    // A limited endpoint's copy is parked as a new row is (see insertCtes): reopened pending,
    // reserved, and claimed by name through the slots and tokens.
    const margin = p.add(again.marginMs, "bigint");
    const limited = `d.endpoint_id IN (${limitedEndpoints})`;
    ctes.push(`reopened AS (
      UPDATE deliveries d SET status = CASE WHEN ${limited} THEN 'pending' ELSE 'in_flight' END,
        schedule_attempts = 0, next_trigger = 'manual', completed_at = NULL, updated_at = ${now},
        next_attempt_at = CASE WHEN ${limited} THEN ${now} + d.timeout_ms + ${margin} ELSE ${now} END,
        lease_token = CASE WHEN ${limited} THEN NULL ELSE ${p.add(again.token, "text")} END,
        lease_expires_at = CASE WHEN ${limited} THEN NULL ELSE ${now} + d.timeout_ms + ${margin} END
      WHERE d.id = ANY(${p.add(again.ids, "text[]")}) AND d.status <> 'in_flight'
      RETURNING d.*)`);
    work.push("SELECT 1 AS kind, * FROM reopened WHERE status = 'in_flight'");
    parkedFrom.push("SELECT id FROM reopened WHERE status = 'pending'");
  }
  const parked =
    parkedFrom.length === 0
      ? "NULL::text[]"
      : `(SELECT array_agg(id ORDER BY id) FROM (${parkedFrom.join(" UNION ALL ")}) parked)`;
  if (claim) {
    const excluded = claim.exclude.length === 0 ? undefined : p.add(claim.exclude, "text[]");
    // Named rows (send's parked ones) are claimed whenever they are asked for: they are due
    // for everyone else only once their reservation lapses.
    const ids = claim.ids ? p.add(claim.ids, "text[]") : undefined;
    const which = ids
      ? `id = ANY(${ids}) AND next_trigger <> 'scheduled'`
      : dueWork(p, request.now, claim, scopeSet, again?.ids ?? []);
    const limited: LimitedClaim = {
      now,
      token: p.add(claim.token, "text"),
      limit: p.add(claim.limit, "int"),
      due: `status = 'pending' AND ${which}`,
      notExcluded: (column) => (excluded ? `${column} <> ALL(${excluded})` : "TRUE"),
    };
    // Asked-for ids someone else holds, finished, rescheduled or deleted (in this statement's snapshot).
    if (ids) {
      gone = `(SELECT array_agg(x) FROM unnest(${ids}) x WHERE NOT EXISTS (
        SELECT 1 FROM deliveries w WHERE w.id = x AND w.status = 'pending' AND w.next_trigger <> 'scheduled'))`;
    }
    ctes.push(...limitedClaimCtes(limited));
    ctes.push(`claimed AS (
      UPDATE deliveries d SET status = 'in_flight', lease_token = ${limited.token},
        lease_expires_at = ${now} + d.timeout_ms + ${p.add(claim.marginMs, "bigint")}, updated_at = ${now}
      FROM chosen WHERE d.id = chosen.id AND d.status = 'pending'
      RETURNING d.*)`);
    ctes.push(...takeLimitCtes(limited));
    work.push("SELECT 2 AS kind, * FROM claimed");
    heldBack = heldBackSql(limited);
  }
  if (ctes.length === 0) return undefined;
  const leased =
    work.length === 0
      ? ""
      : `LEFT JOIN (
        SELECT w.*, e.type AS event_type, e.body AS event_body, e.content_type AS event_content_type,
          e.created_at AS event_created_at,
          CASE WHEN w.secrets IS NULL AND w.endpoint_id IS NOT NULL THEN (
            SELECT array_agg(s.secret ORDER BY s.created_at DESC, s.id DESC) FROM endpoint_secrets s
            WHERE s.endpoint_id = w.endpoint_id AND (s.expires_at IS NULL OR s.expires_at > ${now})
          ) END AS endpoint_secret_list
        FROM (${work.join(" UNION ALL ")}) w JOIN events e ON e.id = w.event_id
      ) l ON TRUE ORDER BY l.kind, l.next_attempt_at, l.id`;
  const text = `WITH ${ctes.join(",\n")}
    SELECT ${recorded} AS recorded, ${notify} AS notified, ${heldBack} AS held_back, ${parked} AS parked,
      ${gone} AS claim_refused${work.length === 0 ? "" : ", l.*"}
    FROM (SELECT 1) one ${leased}`;
  return { text, values: p.values };
}

/** A claim's rows by due time: due by `dueBy` (default now), in its scope, not reopened by `again`. */
function dueWork(
  p: Params,
  now: number,
  claim: NonNullable<ExchangeRequest["claim"]>,
  scopeSet: string | undefined,
  again: readonly string[],
): string {
  const due = p.add(Math.min(now, claim.dueBy ?? now), "bigint");
  const notAgain = again.length > 0 ? `AND id <> ALL(${p.add(again, "text[]")})` : "";
  return `next_attempt_at <= ${due} AND ${inScope(p, scopeSet)} ${notAgain}`;
}

/**
 * New deliveries (newDeliveryParams rows) as `unnest` columns: id, event_id, endpoint_id, url,
 * scheme, extra_headers, secrets, policy, timeout_ms, tls_insecure, tls_ca.
 */
export function newDeliveryColumns(rows: readonly ReturnType<typeof newDeliveryParams>[]): Column[] {
  const of = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
  return [
    [of((r) => r.id), "text"],
    [of((r) => r.eventId), "text"],
    [of((r) => r.endpointId), "text"],
    [of((r) => r.url), "text"],
    [of((r) => r.scheme), "text"],
    [of((r) => r.extraHeaders), "text"],
    [of((r) => r.secrets), "text"],
    [of((r) => r.policy), "text"],
    [of((r) => r.timeoutMs), "int"],
    [of((r) => r.tlsInsecure), "int"],
    [of((r) => r.tlsCa), "text"],
  ];
}

/**
 * New events and their deliveries, already leased to the run that sends them (send), except those
 * of an endpoint with a cap or a rate: a slot or a token is not the inserter's to assume, so
 * those are stored pending (`parked_rows`) and claimed by name, taking a slot and a token like any
 * claim. Until a lease would have lapsed they are not due for anyone else: a run that stops
 * leaves them to `replay` then, as it would a lease.
 */
function insertCtes(p: Params, now: string, insert: NonNullable<ExchangeRequest["insert"]>): string[] {
  const events = [...new Map(insert.items.map(({ event }) => [event.id, event])).values()];
  const rows = insert.items.map(({ event, delivery }) => newDeliveryParams(delivery, event.id));
  const margin = p.add(insert.marginMs, "bigint");
  return [
    `new_events AS (
      INSERT INTO events (id, type, body, content_type, created_at)
      SELECT * FROM ${unnest(p, [
        [events.map((e) => e.id), "text"],
        [events.map((e) => e.type), "text"],
        [events.map((e) => e.body), "bytea"],
        [events.map((e) => e.contentType), "text"],
        [events.map((e) => e.createdAt), "bigint"],
      ])})`,
    `new_deliveries AS (
      INSERT INTO deliveries (id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms,
        tls_insecure, tls_ca, status, next_attempt_at, next_trigger, lease_token, lease_expires_at, created_at, updated_at)
      SELECT n.id, n.event_id, n.endpoint_id, n.url, n.scheme, n.extra_headers, n.secrets, n.policy, n.timeout_ms,
        n.tls_insecure, n.tls_ca, CASE WHEN l.id IS NULL THEN 'in_flight' ELSE 'pending' END,
        CASE WHEN l.id IS NULL THEN ${now} ELSE ${now} + n.timeout_ms + ${margin} END, 'initial',
        CASE WHEN l.id IS NULL THEN ${p.add(insert.token, "text")} END,
        CASE WHEN l.id IS NULL THEN ${now} + n.timeout_ms + ${margin} END, ${now}, ${now}
      FROM ${unnest(p, newDeliveryColumns(rows))} AS n(id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms, tls_insecure, tls_ca)
        LEFT JOIN (${limitedEndpoints}) l ON l.id = n.endpoint_id
      RETURNING id, status)`,
    "parked_rows AS (SELECT id FROM new_deliveries WHERE status = 'pending')",
  ];
}
