import {
  deliveryCountsOf,
  type EndpointRow,
  type EndpointSecretRow,
  type EventsChange,
  eventsColumn,
  type RemoveOptions,
  type RemoveResult,
  type RotationResult,
  sparedByRemoval,
  toEndpoint,
  toEndpointSecret,
  type WaitingRow,
} from "../endpoints.js";
import type { EndpointStore } from "../ports/endpoints.js";
import { tlsColumns } from "../rows.js";
import type { PgPool } from "./connect.js";
import { queueDeadLetterAlertsSql } from "./dead-letter-alerts.js";
import { inTransaction } from "./transaction.js";

type Raw = Record<string, unknown>;

const addSecretSql =
  "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES ($1, $2, $3, NULL)";

/**
 * Endpoints and their secrets on a PostgreSQL log: store/endpoints.ts statement for statement.
 * Where SQLite takes its write lock (an IMMEDIATE transaction), this locks the endpoint's row
 * first, so rotations, removals and subscription changes of one endpoint queue up behind each
 * other as they do there, and a delivery being inserted for it (a key-share lock) waits too.
 */
export class PgEndpointStore implements EndpointStore {
  constructor(private readonly pool: PgPool) {}

  async insertEndpoint(endpoint: EndpointRow, secrets: readonly string[]): Promise<boolean> {
    const tls = tlsColumns(endpoint.tls);
    return inTransaction(this.pool, async (client) => {
      const inserted = await client.query(
        `INSERT INTO endpoints (id, name, url, scheme, rate_per_second, concurrency, timeout_ms, policy,
          tls_insecure, tls_ca, events, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (name) DO NOTHING`,
        [
          endpoint.id,
          endpoint.name,
          endpoint.url,
          endpoint.scheme,
          endpoint.ratePerSecond,
          endpoint.concurrency,
          endpoint.timeoutMs,
          endpoint.policy,
          tls.tlsInsecure,
          tls.tlsCa,
          eventsColumn(endpoint.events),
          endpoint.createdAt,
        ],
      );
      if (inserted.rowCount === 0) return false;
      // One by one: the identity order breaks created_at ties (the last given is primary).
      for (const secret of secrets)
        await client.query(addSecretSql, [endpoint.id, secret, endpoint.createdAt]);
      return true;
    });
  }

  async setEndpointEvents(
    name: string,
    events: readonly string[] | null,
    now: number,
  ): Promise<EventsChange | undefined> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<Raw>(
        "UPDATE endpoints SET events = $1 WHERE name = $2 RETURNING *",
        [eventsColumn(events), name],
      );
      if (!rows[0]) return undefined;
      const endpoint = toEndpoint(rows[0]);
      const secrets = await client.query<Raw>(secretsSql, [endpoint.id, now]);
      return { endpoint, secrets: secrets.rows.map(toEndpointSecret) };
    });
  }

  async getEndpointByName(name: string): Promise<EndpointRow | undefined> {
    const { rows } = await this.pool.query<Raw>("SELECT * FROM endpoints WHERE name = $1", [name]);
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  async getEndpointById(id: string): Promise<EndpointRow | undefined> {
    const { rows } = await this.pool.query<Raw>("SELECT * FROM endpoints WHERE id = $1", [id]);
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  async listEndpoints(): Promise<EndpointRow[]> {
    // COLLATE "C": byte order, as SQLite's ORDER BY name gives it.
    const { rows } = await this.pool.query<Raw>('SELECT * FROM endpoints ORDER BY name COLLATE "C"');
    return rows.map(toEndpoint);
  }

  async activeSecrets(endpointId: string, now: number): Promise<string[]> {
    const { rows } = await this.pool.query<Raw>(secretsSql, [endpointId, now]);
    return rows.map((row) => row.secret as string);
  }

  async listEndpointSecrets(endpointId: string, now: number | null = null): Promise<EndpointSecretRow[]> {
    const { rows } = await this.pool.query<Raw>(secretsSql, [endpointId, now]);
    return rows.map(toEndpointSecret);
  }

  async rotateEndpointSecret(
    endpointId: string,
    secret: string,
    now: number,
    graceMs: number,
  ): Promise<RotationResult> {
    const expiresAt = now + graceMs;
    return inTransaction(this.pool, async (client) => {
      await client.query("SELECT 1 FROM endpoints WHERE id = $1 FOR UPDATE", [endpointId]);
      // The insert does not see the update's rows (one snapshot), so the new secret keeps no expiry.
      const { rows } = await client.query<{ retiring: number }>(
        `WITH retired AS (
          UPDATE endpoint_secrets SET expires_at = $2
          WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > $2) RETURNING 1
        ), added AS (
          INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES ($1, $3, $4, NULL)
        )
        SELECT count(*)::int AS retiring FROM retired`,
        [endpointId, expiresAt, secret, now],
      );
      return { retiring: rows[0]?.retiring ?? 0, expiresAt };
    });
  }

  async removeEndpoint(endpointId: string, options: RemoveOptions): Promise<RemoveResult> {
    return inTransaction(this.pool, async (client) => {
      await client.query("SELECT 1 FROM endpoints WHERE id = $1 FOR UPDATE", [endpointId]);
      // Locked, so no claim takes one meanwhile (claims SKIP LOCKED), and they are read as
      // committed: a claim that committed while this waited shows as in flight here.
      const { rows: waitingRows } = await client.query<WaitingRow>(
        `SELECT id, (status = 'in_flight' AND lease_expires_at > $2::bigint) IS TRUE AS live
         FROM deliveries WHERE endpoint_id = $1 AND status IN ('pending', 'in_flight') FOR UPDATE`,
        [endpointId, options.now],
      );
      const waiting = waitingRows.length;
      if (waiting > 0 && !options.force) return { waiting, abandoned: 0, inFlight: [], removed: false };
      const { spared, doomed } = sparedByRemoval(waitingRows, options.sparing);
      // The deaths and their alerts in one statement: no crash can fall between them.
      await client.query(
        `WITH dead AS (
          UPDATE deliveries SET status = 'dead', next_attempt_at = NULL, lease_token = NULL,
            lease_expires_at = NULL, last_error = 'endpoint removed', updated_at = $2, completed_at = $2
          WHERE id = ANY($1::text[])
          RETURNING id, attempt_count
        ), alerted AS (${queueDeadLetterAlertsSql("dead", "$2::bigint")})
        SELECT count(*) FROM dead`,
        [doomed, options.now],
      );
      if (spared.length > 0) return { waiting, abandoned: doomed.length, inFlight: spared, removed: false };
      await client.query("DELETE FROM endpoints WHERE id = $1", [endpointId]);
      return { waiting, abandoned: doomed.length, inFlight: [], removed: true };
    });
  }

  async endpointDeliveryCounts(endpointId: string): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM deliveries WHERE endpoint_id = $1 GROUP BY status",
      [endpointId],
    );
    return deliveryCountsOf(rows);
  }
}

/** Secrets not yet expired at $2 (all of them when $2 is null), newest first. */
const secretsSql = `SELECT * FROM endpoint_secrets WHERE endpoint_id = $1
  AND ($2::bigint IS NULL OR expires_at IS NULL OR expires_at > $2) ORDER BY created_at DESC, id DESC`;
