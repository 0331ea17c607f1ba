import { randomBytes } from "node:crypto";
import type { EndpointRow } from "../../src/store/endpoints.js";
import { newId } from "../../src/store/ids.js";
import type { PgPool } from "../../src/store/pg/connect.js";
import { notifyWork } from "../../src/store/pg/exchange-sql.js";
import { inTransaction } from "../../src/store/pg/transaction.js";
import { toAttempt, toDelivery } from "../../src/store/rows.js";
import type { AttemptRow, DeliveryRow } from "../../src/store/types.js";
import type { SeedOptions } from "./scheduler-kit.js";

/**
 * A PostgreSQL log written and read the way the SQLite helpers do it (seedDeliveries,
 * seedEndpoint, getDelivery, listAttempts), until the store's other ports have PostgreSQL
 * implementations of their own. Seeding notifies, as every writer of due work must.
 */
export async function seedPgDeliveries(pool: PgPool, options: SeedOptions): Promise<string[]> {
  const ids =
    options.ids ?? Array.from({ length: options.count ?? 1 }, () => newId("dlv", options.now, randomBytes));
  const eventId = newId("evt", options.now, randomBytes);
  await inTransaction(pool, async (client) => {
    await client.query(
      "INSERT INTO events (id, type, body, content_type, created_at) VALUES ($1, $2, $3, 'application/json', $4)",
      [
        eventId,
        options.eventType ?? "order.created",
        Buffer.from(JSON.stringify({ order: 42 })),
        options.now,
      ],
    );
    await client.query(
      `INSERT INTO deliveries (id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms,
         status, next_attempt_at, next_trigger, created_at, updated_at)
       SELECT id, $2, $3, $4, 'hookctl', '{}', $5, $6, $7, 'pending', $8, 'initial', $8, $8
       FROM unnest($1::text[]) AS id`,
      [
        ids,
        eventId,
        options.endpointId ?? null,
        options.url,
        options.secrets ? JSON.stringify(options.secrets) : null,
        JSON.stringify(options.policy ?? {}),
        options.timeoutMs ?? 2000,
        options.now,
      ],
    );
    await client.query(`SELECT ${notifyWork}`);
  });
  return ids;
}

export async function seedPgEndpoint(
  pool: PgPool,
  endpoint: Pick<EndpointRow, "id" | "name" | "url" | "createdAt"> & Partial<EndpointRow>,
  secrets: readonly string[] = [],
): Promise<void> {
  await pool.query(
    `INSERT INTO endpoints (id, name, url, scheme, rate_per_second, concurrency, timeout_ms, policy, created_at)
     VALUES ($1, $2, $3, 'hookctl', $4, $5, $6, $7, $8)`,
    [
      endpoint.id,
      endpoint.name,
      endpoint.url,
      endpoint.ratePerSecond ?? null,
      endpoint.concurrency ?? null,
      endpoint.timeoutMs ?? null,
      endpoint.policy ?? null,
      endpoint.createdAt,
    ],
  );
  for (const [i, secret] of secrets.entries()) {
    await pool.query("INSERT INTO endpoint_secrets (endpoint_id, secret, created_at) VALUES ($1, $2, $3)", [
      endpoint.id,
      secret,
      endpoint.createdAt + i,
    ]);
  }
}

export async function pgDelivery(pool: PgPool, id: string): Promise<DeliveryRow | undefined> {
  const { rows } = await pool.query("SELECT * FROM deliveries WHERE id = $1", [id]);
  return rows[0] ? toDelivery(rows[0]) : undefined;
}

export async function pgAttempts(pool: PgPool, deliveryId: string): Promise<AttemptRow[]> {
  const { rows } = await pool.query("SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY number", [
    deliveryId,
  ]);
  return rows.map(toAttempt);
}

/** Attempts per delivery over the whole log: what double deliveries show up as. */
export async function pgAttemptCounts(pool: PgPool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ id: string; n: number }>(
    "SELECT d.id, count(a.id)::int AS n FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id GROUP BY d.id",
  );
  return new Map(rows.map((row) => [row.id, row.n]));
}
