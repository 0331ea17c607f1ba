import type pg from "pg";
import { type AlertCounts, type AlertRow, type AlertStatus, toAlert } from "../alerts.js";
import type { AlertPort } from "../ports/alerts.js";

/**
 * store/alerts.ts over a PostgreSQL log. Each write is one statement guarded by `status =
 * 'pending'`; a claim holds what it takes, so runners in several processes send each alert once.
 */
export class PgAlertStore implements AlertPort {
  constructor(private readonly pool: pg.Pool) {}

  async register(sink: string, now: number): Promise<void> {
    await this.pool.query(
      "INSERT INTO alert_sinks (name, created_at) VALUES ($1, $2::bigint) ON CONFLICT DO NOTHING",
      [sink, now],
    );
  }

  async due(sink: string, now: number, limit: number): Promise<AlertRow[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `SELECT * FROM alerts WHERE sink = $1 AND status = 'pending' AND next_attempt_at <= $2::bigint
       ORDER BY next_attempt_at, id LIMIT $3::int`,
      [sink, now, limit],
    );
    return rows.map(toAlert);
  }

  /**
   * store/alerts.ts's `claim`: one statement; SKIP LOCKED so two runners claiming at once take
   * different alerts, and the outer conditions are checked again on the row as committed.
   */
  async claim(sink: string, now: number, limit: number, holdUntil: number): Promise<AlertRow[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `UPDATE alerts SET next_attempt_at = $4::bigint
       WHERE (id, sink) IN (
         SELECT id, sink FROM alerts WHERE sink = $1 AND status = 'pending' AND next_attempt_at <= $2::bigint
         ORDER BY next_attempt_at, id LIMIT $3::int FOR UPDATE SKIP LOCKED)
       AND status = 'pending' AND next_attempt_at <= $2::bigint
       RETURNING *`,
      [sink, now, limit, holdUntil],
    );
    return rows
      .map(toAlert)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  hold(id: string, sink: string, heldUntil: number, until: number): Promise<boolean> {
    return this.changed(
      `UPDATE alerts SET next_attempt_at = $4::bigint
       WHERE id = $1 AND sink = $2 AND status = 'pending' AND next_attempt_at = $3::bigint`,
      [id, sink, heldUntil, until],
    );
  }

  async nextDueAfter(sink: string, now: number): Promise<number | null> {
    const { rows } = await this.pool.query<{ at: number | null }>(
      `SELECT min(next_attempt_at) AS at FROM alerts
       WHERE sink = $1 AND status = 'pending' AND next_attempt_at > $2::bigint`,
      [sink, now],
    );
    return rows[0]?.at ?? null;
  }

  markSent(id: string, sink: string, now: number): Promise<boolean> {
    return this.changed(
      `UPDATE alerts SET status = 'sent', attempts = attempts + 1, sent_at = $3::bigint, last_error = NULL
       WHERE id = $1 AND sink = $2 AND status = 'pending'`,
      [id, sink, now],
    );
  }

  scheduleRetry(id: string, sink: string, at: number, error: string): Promise<boolean> {
    return this.changed(
      `UPDATE alerts SET attempts = attempts + 1, next_attempt_at = $3::bigint, last_error = $4
       WHERE id = $1 AND sink = $2 AND status = 'pending'`,
      [id, sink, at, error],
    );
  }

  giveUp(id: string, sink: string, error: string): Promise<boolean> {
    return this.changed(
      `UPDATE alerts SET status = 'failed', attempts = attempts + 1, last_error = $3
       WHERE id = $1 AND sink = $2 AND status = 'pending'`,
      [id, sink, error],
    );
  }

  async counts(sinks: readonly string[]): Promise<AlertCounts> {
    const counts: AlertCounts = { pending: 0, sent: 0, failed: 0 };
    const { rows } = await this.pool.query<{ status: AlertStatus; n: number }>(
      "SELECT status, count(*)::int AS n FROM alerts WHERE sink = ANY($1::text[]) GROUP BY status",
      [sinks],
    );
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  async lastError(sinks: readonly string[]): Promise<string | null> {
    const { rows } = await this.pool.query<{ last_error: string }>(
      `SELECT last_error FROM alerts
       WHERE sink = ANY($1::text[]) AND status = 'pending' AND last_error IS NOT NULL
       ORDER BY next_attempt_at DESC LIMIT 1`,
      [sinks],
    );
    return rows[0]?.last_error ?? null;
  }

  async alertsOfDelivery(deliveryId: string): Promise<AlertRow[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      "SELECT * FROM alerts WHERE delivery_id = $1 ORDER BY created_at, id, sink",
      [deliveryId],
    );
    return rows.map(toAlert);
  }

  private async changed(text: string, values: unknown[]): Promise<boolean> {
    const { rowCount } = await this.pool.query(text, values);
    return rowCount === 1;
  }
}
