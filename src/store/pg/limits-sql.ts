import type { Params } from "./exchange-sql.js";

/**
 * Per-endpoint limits that hold across every scheduler sharing the log, enforced inside the
 * claim statement itself (schema migration 2):
 *
 * - concurrency: `endpoint_slots` holds one row per unit of an endpoint's cap. A claim of one of
 *   its deliveries takes a slot in the same statement (FOR UPDATE SKIP LOCKED), under the claim's
 *   lease token and with the delivery's lease expiry; the completion or release frees it, renew
 *   extends it. A slot is free by its own columns only (unheld or expired), so the row lock's
 *   re-check of a slot another claimer just took sees it taken: two claimers never share one.
 *   A crashed holder's slot frees itself when its lease expires.
 * - rate: `endpoint_buckets` holds a token bucket per endpoint (tokens as of refilled_at),
 *   locked by the claim (SKIP LOCKED: another claimer is spending it right now) and debited by
 *   what it claimed. It holds at most `limitBurst` tokens.
 *
 * Every lock a claim takes is SKIP LOCKED, so claimers never wait on one another. Tokens are
 * spent at claim time; an attempt starts a round trip later, and at most `concurrency` claimed
 * rows of a capped endpoint wait at once. `send`'s new deliveries of a limited endpoint are
 * inserted pending and claimed this same way (exchange-sql.ts), never sent on an assumed slot.
 */

/**
 * The most tokens an endpoint's shared bucket holds: 20 ms worth, at least 1. Small, because a
 * claim's rows wait for the engine's own bucket (burst 1) before they start: the more one claim
 * brings, the later its last row starts, and the further starts drift from the tokens spent.
 */
export function limitBurst(ratePerSecond: number): number {
  return Math.max(1, ratePerSecond / 50);
}

const burstSql = (rate: string) => `GREATEST(1.0, ${rate} / 50.0)`;

/**
 * Slots above endpoint `e`'s cap still held by live attempts: after the cap was lowered, they
 * count against it until their holders finish, so the endpoint never runs more than the new cap.
 * (Their rows stay, never taken again; raising the cap again reuses them.)
 */
function heldAboveCap(e: string, now: string): string {
  return `(SELECT count(*) FROM endpoint_slots s WHERE s.endpoint_id = ${e}.id AND s.slot > ${e}.concurrency
    AND s.lease_token IS NOT NULL AND s.expires_at > ${now})`;
}

/** The ids of endpoints with a cap or a rate. */
export const limitedEndpoints =
  "SELECT id FROM endpoints WHERE concurrency IS NOT NULL OR rate_per_second IS NOT NULL";

/** Tokens in a bucket `b` of rate `rate` at `now` (refilled, capped at the burst). */
function tokensAt(now: string, rate: string): string {
  return `LEAST(${burstSql(rate)}, b.tokens + GREATEST(0, ${now} - b.refilled_at) * ${rate} / 1000.0)`;
}

export interface LimitedClaim {
  now: string;
  token: string;
  limit: string;
  /** Due, claimable rows of `deliveries` (unqualified columns). */
  due: string;
  /** Endpoints the engine asked to skip, as a condition on an endpoint id column. */
  notExcluded: (column: string) => string;
}

/**
 * The CTEs of a claim that respects the shared limits, ending in `chosen` (ids to lease, due
 * order). Rows of unlimited endpoints come from the due index; each limited endpoint with due
 * work adds at most as many rows as it has free slots and tokens, so a full endpoint neither
 * fills the batch nor starves the others. Follow with `claimed`, then `takeLimitCtes`.
 */
export function limitedClaimCtes(c: LimitedClaim): string[] {
  return [
    `lim AS (
      SELECT e.id, e.concurrency, e.rate_per_second, ${heldAboveCap("e", c.now)} AS over FROM endpoints e
      WHERE (e.concurrency IS NOT NULL OR e.rate_per_second IS NOT NULL) AND ${c.notExcluded("e.id")}
        AND EXISTS (SELECT 1 FROM deliveries WHERE endpoint_id = e.id AND ${c.due}))`,
    `free_slots AS (
      SELECT f.endpoint_id, f.slot, row_number() OVER (PARTITION BY f.endpoint_id ORDER BY f.slot) AS rn
      FROM lim l CROSS JOIN LATERAL (
        SELECT s.endpoint_id, s.slot FROM endpoint_slots s
        WHERE s.endpoint_id = l.id AND s.slot <= l.concurrency
          AND (s.lease_token IS NULL OR s.expires_at <= ${c.now})
        ORDER BY s.slot LIMIT ${c.limit} FOR UPDATE SKIP LOCKED) f)`,
    `buckets AS (
      SELECT b.endpoint_id, ${tokensAt(c.now, "l.rate_per_second")} AS tokens
      FROM endpoint_buckets b JOIN lim l ON l.id = b.endpoint_id
      WHERE l.rate_per_second IS NOT NULL
      FOR UPDATE OF b SKIP LOCKED)`,
    `allowed AS (
      SELECT l.id AS endpoint_id, LEAST(
        CASE WHEN l.concurrency IS NULL THEN ${c.limit}
          ELSE GREATEST(0, (SELECT count(*) FROM free_slots f WHERE f.endpoint_id = l.id) - l.over) END,
        CASE WHEN l.rate_per_second IS NULL THEN ${c.limit}
          ELSE COALESCE((SELECT floor(k.tokens) FROM buckets k WHERE k.endpoint_id = l.id), 0) END)::int AS n
      FROM lim l)`,
    `picked AS (
      SELECT id, next_attempt_at FROM deliveries
      WHERE ${c.due} AND (endpoint_id IS NULL OR (${c.notExcluded("endpoint_id")}
        AND endpoint_id NOT IN (${limitedEndpoints})))
      ORDER BY next_attempt_at LIMIT ${c.limit} FOR UPDATE SKIP LOCKED)`,
    `picked_limited AS (
      SELECT x.id, x.next_attempt_at FROM allowed a CROSS JOIN LATERAL (
        SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = a.endpoint_id AND ${c.due}
        ORDER BY next_attempt_at LIMIT a.n FOR UPDATE SKIP LOCKED) x
      WHERE a.n > 0)`,
    `chosen AS (SELECT id FROM (SELECT * FROM picked UNION ALL SELECT * FROM picked_limited) u
      ORDER BY next_attempt_at LIMIT ${c.limit})`,
  ];
}

/**
 * Whether a rate held rows back: some limited endpoint got fewer rows than its free slots
 * allowed (or its bucket was busy). A full endpoint is not held back this way: the completion
 * that frees a slot notifies.
 */
export function heldBackSql(c: LimitedClaim): string {
  return `EXISTS (SELECT 1 FROM allowed a JOIN lim l ON l.id = a.endpoint_id
    WHERE l.rate_per_second IS NOT NULL AND a.n < CASE WHEN l.concurrency IS NULL THEN ${c.limit}
      ELSE GREATEST(0, (SELECT count(*) FROM free_slots f WHERE f.endpoint_id = l.id) - l.over) END)`;
}

/** What the rows in `claimed` take: a locked free slot each (capped endpoints), and tokens. */
export function takeLimitCtes(c: LimitedClaim): string[] {
  return [
    `slot_takers AS (
      SELECT id, endpoint_id, lease_expires_at,
        row_number() OVER (PARTITION BY endpoint_id ORDER BY id) AS rn
      FROM claimed WHERE endpoint_id IN (SELECT endpoint_id FROM free_slots))`,
    `took_slots AS (
      UPDATE endpoint_slots s SET lease_token = ${c.token}, delivery_id = t.id, expires_at = t.lease_expires_at
      FROM slot_takers t JOIN free_slots f ON f.endpoint_id = t.endpoint_id AND f.rn = t.rn
      WHERE s.endpoint_id = f.endpoint_id AND s.slot = f.slot
      RETURNING 1)`,
    `took_tokens AS (
      UPDATE endpoint_buckets b SET tokens = k.tokens - t.n, refilled_at = GREATEST(b.refilled_at, ${c.now})
      FROM buckets k JOIN (SELECT endpoint_id, count(*) AS n FROM claimed GROUP BY endpoint_id) t
        ON t.endpoint_id = k.endpoint_id
      WHERE b.endpoint_id = k.endpoint_id
      RETURNING 1)`,
  ];
}

/**
 * Frees the slots held by these (delivery, token) pairs: finished or handed back. An expired
 * slot is free already and may be taken in this very statement, so it is left alone.
 */
export function freeSlotsCte(p: Params, now: string, held: readonly { id: string; token: string }[]): string {
  return `freed_slots AS (
    UPDATE endpoint_slots s SET lease_token = NULL, delivery_id = NULL, expires_at = NULL
    FROM unnest(${p.add(
      held.map((h) => h.id),
      "text[]",
    )}, ${p.add(
      held.map((h) => h.token),
      "text[]",
    )}) AS h(id, token)
    WHERE s.delivery_id = h.id AND s.lease_token = h.token AND s.expires_at > ${now}
    RETURNING 1)`;
}

/**
 * Renew the leases held under the tokens `$1` at `$2` (now) with margin `$3`, and their slots;
 * the final SELECT gives the renewed ids. A lease that expired (the process stalled) is renewed
 * only if its slot is still its own: an expired slot is free to every claimer, and renewing a
 * lease whose slot someone else took would run one attempt more than the cap allows.
 */
export const renewStatement = `WITH held AS (
    SELECT id, lease_token, lease_expires_at, endpoint_id, $2::bigint + timeout_ms + $3::bigint AS expires
    FROM deliveries WHERE status = 'in_flight' AND lease_token = ANY($1::text[])),
  renewed_slots AS (
    UPDATE endpoint_slots s SET expires_at = h.expires FROM held h
    WHERE s.delivery_id = h.id AND s.lease_token = h.lease_token
    RETURNING s.delivery_id),
  renewed AS (
    UPDATE deliveries d SET lease_expires_at = h.expires FROM held h
    WHERE d.id = h.id AND d.status = 'in_flight' AND d.lease_token = h.lease_token
      AND (h.lease_expires_at > $2::bigint OR h.id IN (SELECT delivery_id FROM renewed_slots)
        OR NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = h.endpoint_id AND e.concurrency IS NOT NULL))
    RETURNING d.id)
  SELECT id FROM renewed`;

/**
 * Limited endpoints as the outlook sees them at `now`: `full` (no free slot: wait for a
 * completion's notification or the next poll, never spin) and `ready_at` (when the bucket will
 * hold a token again, or null if it holds one now).
 */
export function gateCte(now: string): string {
  return `gate AS (
    SELECT e.id,
      (e.concurrency IS NOT NULL AND (
        SELECT count(*) FROM endpoint_slots s WHERE s.endpoint_id = e.id AND s.slot <= e.concurrency
          AND (s.lease_token IS NULL OR s.expires_at <= ${now})) <= ${heldAboveCap("e", now)}) AS full,
      (SELECT CASE WHEN ${tokensAt(now, "e.rate_per_second")} >= 1 THEN NULL
          ELSE b.refilled_at + ceil((1 - b.tokens) * 1000.0 / e.rate_per_second - 1e-6)::bigint END
        FROM endpoint_buckets b WHERE b.endpoint_id = e.id) AS ready_at
    FROM endpoints e WHERE e.concurrency IS NOT NULL OR e.rate_per_second IS NOT NULL)`;
}
