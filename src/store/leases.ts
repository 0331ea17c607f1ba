import { queueDeadLetterAlerts } from "./dead-letter-alerts.js";
import type { Db } from "./open.js";
import { toDelivery } from "./rows.js";
import type { AttemptRecord, DeliveryRow } from "./types.js";

/** The columns a claimed delivery's attempt reads (the last attempt's outcome is not among them). */
const claimColumnNames = [
  "id",
  "event_id",
  "endpoint_id",
  "url",
  "scheme",
  "extra_headers",
  "secrets",
  "policy",
  "timeout_ms",
  "tls_insecure",
  "tls_ca",
  "attempt_count",
  "schedule_attempts",
  "next_attempt_at",
  "next_trigger",
  "created_at",
] as const;
/** rowid first: the claim updates each row by it, one B-tree descent instead of two (id's index, then the row). */
const claimColumns = `rowid, ${claimColumnNames.join(", ")}`;

/**
 * A claimed row read as an array (better-sqlite3's raw mode: building a JS object from C++ costs
 * about as much as the read itself, and a claim reads thousands of rows a second) as the record
 * `toDelivery` reads.
 */
function claimedRecord(values: unknown[]): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < claimColumnNames.length; i++) raw[claimColumnNames[i] as string] = values[i + 1];
  return raw;
}

/** What happens to a delivery once an attempt finished. */
export type NextState =
  | { status: "succeeded" }
  | { status: "pending"; nextAttemptAt: number }
  | { status: "dead" };

export interface ClaimOptions {
  now: number;
  /** The lease lasts until now + leaseMs; renew it while a long attempt runs. */
  leaseMs: number;
  token: string;
}

/**
 * Claiming and completing deliveries under a lease. Each call is one short write transaction;
 * no HTTP ever happens inside one. A lease token guards completion so that a scheduler whose
 * lease expired (and was reclaimed by another) can never overwrite the newer result.
 */
export class Leases {
  private readonly dueStmt;
  private readonly dueAnyStmt;
  private readonly claimRowStmt;
  private readonly claimByIdStmt;
  private readonly renewStmt;
  private readonly releaseStmt;
  private readonly reclaimStmt;
  private readonly insertAttemptStmt;
  private readonly completeStmt;
  private readonly shelveStmt;
  /** Damaged rows moved to the dead letters since the last takeShelved(). */
  private shelved: string[] = [];

  constructor(private readonly db: Db) {
    // Due rows, earliest first, skipping rate-limited or capped endpoints so their rows do not
    // crowd out everyone else's. INDEXED BY: without statistics SQLite prefers (status, id) and
    // sorts every pending row on each claim. Claiming is a read then an update by id, inside one
    // write transaction: an UPDATE ... RETURNING of the same rows costs several times more. Only
    // what an attempt needs is read: each column read costs, and a claim reads thousands a second.
    this.dueStmt = db
      .prepare(`
      SELECT ${claimColumns} FROM deliveries INDEXED BY deliveries_due
      WHERE status = 'pending' AND next_attempt_at <= @now
        AND (endpoint_id IS NULL OR endpoint_id NOT IN (SELECT value FROM json_each(@exclude)))
      ORDER BY next_attempt_at LIMIT @limit`)
      .raw();
    // Most claims exclude no endpoint: skip the json_each subquery for them.
    this.dueAnyStmt = db
      .prepare(`
      SELECT ${claimColumns} FROM deliveries INDEXED BY deliveries_due
      WHERE status = 'pending' AND next_attempt_at <= @now
      ORDER BY next_attempt_at LIMIT @limit`)
      .raw();
    // The hot statements bind by position: a named parameter is a property lookup from C++ each.
    this.claimRowStmt = db.prepare(`
      UPDATE deliveries SET status = 'in_flight', lease_token = ?, lease_expires_at = ?, updated_at = ?
      WHERE rowid = ? AND status = 'pending'`);
    this.claimByIdStmt = db.prepare(`
      UPDATE deliveries SET status = 'in_flight', lease_token = @token, lease_expires_at = @expires, updated_at = @now
      WHERE id = @id AND status = 'pending'
      RETURNING *`);
    this.renewStmt = db.prepare(`
      UPDATE deliveries SET lease_expires_at = @expires
      WHERE id = @id AND status = 'in_flight' AND lease_token = @token`);
    this.releaseStmt = db.prepare(`
      UPDATE deliveries SET status = 'pending', lease_token = NULL, lease_expires_at = NULL, updated_at = @now
      WHERE id = @id AND status = 'in_flight' AND lease_token = @token`);
    this.reclaimStmt = db.prepare(`
      UPDATE deliveries SET status = 'pending', lease_token = NULL, lease_expires_at = NULL, updated_at = @now,
        next_attempt_at = MIN(COALESCE(next_attempt_at, @now), @now)
      WHERE status = 'in_flight' AND lease_expires_at <= @now`);
    this.insertAttemptStmt = db.prepare(`
      INSERT INTO attempts (delivery_id, number, trigger, url, request_headers, started_at, duration_ms,
        status_code, response_headers, response_body, response_truncated, error_class, error_message)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.shelveStmt = db.prepare(`
      UPDATE deliveries SET status = 'dead', lease_token = NULL, lease_expires_at = NULL,
        next_attempt_at = NULL, updated_at = @now, completed_at = @now
      WHERE id = @id`);
    this.completeStmt = db.prepare(`
      UPDATE deliveries SET
        status = ?, lease_token = NULL, lease_expires_at = NULL,
        attempt_count = attempt_count + 1, schedule_attempts = schedule_attempts + 1,
        next_attempt_at = ?, next_trigger = 'scheduled',
        last_status_code = ?, last_error_class = ?, last_error = ?,
        updated_at = ?, completed_at = ?
      WHERE id = ? AND status = 'in_flight' AND lease_token = ?`);
  }

  /**
   * Lease up to `limit` due deliveries, earliest first. With `marginMs` each lease lasts at least
   * the row's own timeout plus the margin; `excludeEndpoints` skips those endpoints' rows.
   */
  claimDue(
    options: ClaimOptions & { limit: number; marginMs?: number; excludeEndpoints?: readonly string[] },
  ): DeliveryRow[] {
    const { now, token } = options;
    return this.db
      .transaction(() => {
        const exclude = options.excludeEndpoints ?? [];
        const due = (
          exclude.length === 0
            ? this.dueAnyStmt.all({ now, limit: options.limit })
            : this.dueStmt.all({ now, limit: options.limit, exclude: JSON.stringify(exclude) })
        ) as unknown[][];
        const claimed: DeliveryRow[] = [];
        for (const values of due) {
          const raw = claimedRecord(values);
          const ownMs = options.marginMs === undefined ? 0 : (raw.timeout_ms as number) + options.marginMs;
          const expires = now + Math.max(options.leaseMs, ownMs);
          // The row as it is once claimed.
          raw.status = "in_flight";
          raw.lease_token = token;
          raw.lease_expires_at = expires;
          raw.updated_at = now;
          const row = toDelivery(raw);
          if (this.shelveDamaged(row, now)) continue;
          this.claimRowStmt.run(token, expires, now, values[0]);
          claimed.push(row);
        }
        return claimed;
      })
      .immediate();
  }

  /** Lease one pending delivery whether or not it is due (send's first attempt, a manual retry). */
  claimById(id: string, options: ClaimOptions): DeliveryRow | undefined {
    const row = this.claimByIdStmt.get({
      id,
      token: options.token,
      expires: options.now + options.leaseMs,
      now: options.now,
    });
    if (!row) return undefined;
    const delivery = toDelivery(row as Record<string, unknown>);
    return this.shelveDamaged(delivery, options.now) ? undefined : delivery;
  }

  /**
   * A row whose stored JSON is damaged is never sent (its headers, secrets or policy are not
   * known): it becomes a dead letter saying why, and the rest of the log goes on.
   */
  private shelveDamaged(row: DeliveryRow, now: number): boolean {
    if (row.damage === null) return false;
    this.shelveStmt.run({ id: row.id, now });
    queueDeadLetterAlerts(this.db, row.id, now);
    this.shelved.push(row.id);
    return true;
  }

  /** The damaged rows shelved since the last call, for the scheduler to count and report. */
  takeShelved(): string[] {
    const ids = this.shelved;
    this.shelved = [];
    return ids;
  }

  renew(id: string, token: string, expiresAt: number): boolean {
    return this.renewStmt.run({ id, token, expires: expiresAt }).changes === 1;
  }

  /** Give back a claimed delivery that was never attempted (shutdown before it started). */
  release(id: string, token: string, now: number): boolean {
    return this.releaseStmt.run({ id, token, now }).changes === 1;
  }

  /**
   * Leases whose holder died: back to pending and due now. The attempt that was in flight may
   * have reached the receiver; it will see the same delivery id again (at-least-once).
   */
  reclaimExpired(now: number): number {
    return this.reclaimStmt.run({ now }).changes;
  }

  /**
   * Record the attempt and move the delivery on, atomically, only if `token` still holds the
   * lease. Returns false for a stale holder: nothing is written.
   */
  complete(token: string, attempt: AttemptRecord, next: NextState, now: number): boolean {
    return this.db.transaction(() => this.completeWithin(token, attempt, next, now)).immediate();
  }

  /**
   * `complete` without its own transaction (or savepoint): only for a caller that already holds
   * a transaction and rolls all of it back if this throws, so an update is never kept without
   * its attempt.
   */
  completeWithin(token: string, attempt: AttemptRecord, next: NextState, now: number): boolean {
    const pending = next.status === "pending";
    const updated = this.completeStmt.run(
      next.status,
      pending ? next.nextAttemptAt : null,
      attempt.statusCode,
      attempt.errorClass,
      attempt.errorMessage,
      now,
      pending ? null : now,
      attempt.deliveryId,
      token,
    );
    if (updated.changes !== 1) return false;
    this.insertAttemptStmt.run(
      attempt.deliveryId,
      attempt.number,
      attempt.trigger,
      attempt.url,
      JSON.stringify(attempt.requestHeaders),
      attempt.startedAt,
      attempt.durationMs,
      attempt.statusCode,
      attempt.responseHeaders ? JSON.stringify(attempt.responseHeaders) : null,
      attempt.responseBody ? Buffer.from(attempt.responseBody) : null,
      attempt.responseTruncated ? 1 : 0,
      attempt.errorClass,
      attempt.errorMessage,
    );
    if (next.status === "dead") queueDeadLetterAlerts(this.db, attempt.deliveryId, now);
    return true;
  }
}
