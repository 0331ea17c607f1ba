import type { Db } from "./open.js";

/**
 * Dead-letter alerts in the log. Every path that makes a delivery dead queues one pending alert
 * per registered sink in its own transaction (dead-letter-alerts.ts); these queries register
 * sinks, hand out due alerts and record what a sink answered.
 */

export type AlertStatus = "pending" | "sent" | "failed";

/** One queued alert for one sink (times in ms since the epoch). */
export interface AlertRow {
  id: string;
  sink: string;
  deliveryId: string;
  status: AlertStatus;
  /** Tries made so far (failed ones; a sent alert counts its last try too). */
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  /** When the delivery died. */
  createdAt: number;
  sentAt: number | null;
}

export type AlertCounts = Record<AlertStatus, number>;

/** An alert row of either backend (PostgreSQL's bigints come parsed as numbers). */
export function toAlert(raw: Record<string, unknown>): AlertRow {
  return {
    id: raw.id as string,
    sink: raw.sink as string,
    deliveryId: raw.delivery_id as string,
    status: raw.status as AlertStatus,
    attempts: raw.attempts as number,
    nextAttemptAt: raw.next_attempt_at as number,
    lastError: (raw.last_error as string | null) ?? null,
    createdAt: raw.created_at as number,
    sentAt: (raw.sent_at as number | null) ?? null,
  };
}

/**
 * Queries over the alerts of a log, prepared once per connection. Each write is one statement:
 * its own short transaction, never held across a send.
 */
export class AlertStore {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      register: db.prepare("INSERT OR IGNORE INTO alert_sinks (name, created_at) VALUES (?, ?)"),
      due: db.prepare(`SELECT * FROM alerts INDEXED BY alerts_due
        WHERE sink = @sink AND status = 'pending' AND next_attempt_at <= @now
        ORDER BY next_attempt_at, id LIMIT @limit`),
      hold: db.prepare(`UPDATE alerts SET next_attempt_at = @until
        WHERE id = @id AND sink = @sink AND status = 'pending'`),
      moveHold: db.prepare(`UPDATE alerts SET next_attempt_at = @until
        WHERE id = @id AND sink = @sink AND status = 'pending' AND next_attempt_at = @heldUntil`),
      nextDue: db
        .prepare(`SELECT MIN(next_attempt_at) FROM alerts INDEXED BY alerts_due
        WHERE sink = @sink AND status = 'pending' AND next_attempt_at > @now`)
        .pluck(),
      sent: db.prepare(`UPDATE alerts SET status = 'sent', attempts = attempts + 1, sent_at = @now,
        last_error = NULL WHERE id = @id AND sink = @sink AND status = 'pending'`),
      retry: db.prepare(`UPDATE alerts SET attempts = attempts + 1, next_attempt_at = @at, last_error = @error
        WHERE id = @id AND sink = @sink AND status = 'pending'`),
      failed: db.prepare(`UPDATE alerts SET status = 'failed', attempts = attempts + 1, last_error = @error
        WHERE id = @id AND sink = @sink AND status = 'pending'`),
      counts: db.prepare(`SELECT status, COUNT(*) AS n FROM alerts
        WHERE sink IN (SELECT value FROM json_each(@sinks)) GROUP BY status`),
      lastError: db
        .prepare(`SELECT last_error FROM alerts INDEXED BY alerts_due
        WHERE sink IN (SELECT value FROM json_each(@sinks)) AND status = 'pending' AND last_error IS NOT NULL
        ORDER BY next_attempt_at DESC LIMIT 1`)
        .pluck(),
    };
  }

  /**
   * Make `sink` hear of deaths from now on (deaths before its first registration are never
   * alerted: an old log's dead letters must not flood a new sink). Registering again is a no-op.
   */
  register(sink: string, now: number): void {
    this.statements.register.run(sink, now);
  }

  /** Pending alerts of `sink` due by `now`, earliest first. */
  due(sink: string, now: number, limit: number): AlertRow[] {
    return (this.statements.due.all({ sink, now, limit }) as Record<string, unknown>[]).map(toAlert);
  }

  /**
   * Take up to `limit` due alerts of `sink` for one process: each is held (not due for anyone)
   * until `holdUntil`, so runners in other processes sharing the log do not send it too. A holder
   * that dies leaves it to whoever finds it due once the hold ends (the same alert id again).
   * Returned as they are once held.
   */
  claim(sink: string, now: number, limit: number, holdUntil: number): AlertRow[] {
    const { db, statements } = this;
    return db
      .transaction(() => {
        const rows = this.due(sink, now, limit);
        for (const row of rows) {
          statements.hold.run({ id: row.id, sink, until: holdUntil });
          row.nextAttemptAt = holdUntil;
        }
        return rows;
      })
      .immediate();
  }

  /**
   * Move a claim's hold from `heldUntil` to `until`: later while its try runs, or back to now when
   * the try was abandoned. False, and nothing changed, when it is no longer that hold (answered,
   * or taken again after the hold ended).
   */
  hold(id: string, sink: string, heldUntil: number, until: number): boolean {
    return this.statements.moveHold.run({ id, sink, heldUntil, until }).changes === 1;
  }

  /** The earliest pending alert of `sink` due after `now`, or null. */
  nextDueAfter(sink: string, now: number): number | null {
    return (this.statements.nextDue.get({ sink, now }) as number | null) ?? null;
  }

  /** The sink confirmed it. False: not pending any more (another process recorded it first). */
  markSent(id: string, sink: string, now: number): boolean {
    return this.statements.sent.run({ id, sink, now }).changes === 1;
  }

  /** A try failed: try again at `at`. */
  scheduleRetry(id: string, sink: string, at: number, error: string): boolean {
    return this.statements.retry.run({ id, sink, at, error }).changes === 1;
  }

  /** A try failed and no more will be made. */
  giveUp(id: string, sink: string, error: string): boolean {
    return this.statements.failed.run({ id, sink, error }).changes === 1;
  }

  /** How many alerts of these sinks are in each state. */
  counts(sinks: readonly string[]): AlertCounts {
    const counts: AlertCounts = { pending: 0, sent: 0, failed: 0 };
    const rows = this.statements.counts.all({ sinks: JSON.stringify(sinks) }) as {
      status: AlertStatus;
      n: number;
    }[];
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  /** The error of the pending alert of these sinks that failed last, if any failed. */
  lastError(sinks: readonly string[]): string | null {
    return (this.statements.lastError.get({ sinks: JSON.stringify(sinks) }) as string | null) ?? null;
  }
}

/** Every alert of a delivery, oldest first (for `log show`-like views and tests). */
export function alertsOfDelivery(db: Db, deliveryId: string): AlertRow[] {
  const rows = db
    .prepare("SELECT * FROM alerts WHERE delivery_id = ? ORDER BY created_at, id, sink")
    .all(deliveryId) as Record<string, unknown>[];
  return rows.map(toAlert);
}

const stores = new WeakMap<Db, AlertStore>();

/** The connection's AlertStore, its statements prepared once. */
function storeOf(db: Db): AlertStore {
  let store = stores.get(db);
  if (!store) {
    store = new AlertStore(db);
    stores.set(db, store);
  }
  return store;
}

/** AlertStore's queries as functions of the log: the SQLite side of the alert port. */
export const sqliteAlertQueries = {
  register: (db: Db, sink: string, now: number): void => storeOf(db).register(sink, now),
  due: (db: Db, sink: string, now: number, limit: number): AlertRow[] => storeOf(db).due(sink, now, limit),
  claim: (db: Db, sink: string, now: number, limit: number, holdUntil: number): AlertRow[] =>
    storeOf(db).claim(sink, now, limit, holdUntil),
  hold: (db: Db, id: string, sink: string, heldUntil: number, until: number): boolean =>
    storeOf(db).hold(id, sink, heldUntil, until),
  nextDueAfter: (db: Db, sink: string, now: number): number | null => storeOf(db).nextDueAfter(sink, now),
  markSent: (db: Db, id: string, sink: string, now: number): boolean => storeOf(db).markSent(id, sink, now),
  scheduleRetry: (db: Db, id: string, sink: string, at: number, error: string): boolean =>
    storeOf(db).scheduleRetry(id, sink, at, error),
  giveUp: (db: Db, id: string, sink: string, error: string): boolean => storeOf(db).giveUp(id, sink, error),
  counts: (db: Db, sinks: readonly string[]): AlertCounts => storeOf(db).counts(sinks),
  lastError: (db: Db, sinks: readonly string[]): string | null => storeOf(db).lastError(sinks),
  alertsOfDelivery,
};
