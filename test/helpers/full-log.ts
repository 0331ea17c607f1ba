import type { Db } from "../../src/store/open.js";
import type { PgPool } from "../../src/store/pg/connect.js";
import { type TableName, transferTables } from "../../src/store/transfer/tables.js";

const t0 = Date.UTC(2026, 4, 1, 12, 0, 0, 123);
/** Bytes that are not UTF-8: a copy must carry them exactly. */
const binary = Buffer.from([0xff, 0x00, 0xfe, 0x41, 0x80]);

/** The secret the seeded endpoint holds (tests check it never reaches a summary). */
export const seededSecret = "whsec_c2VlZGVkLXNlY3JldC1mb3ItdHJhbnNmZXI=";

/**
 * A SQLite log with a row in every moved table and every column type exercised: nullable
 * columns both set and null, bytes that are not UTF-8, ids with gaps (identity columns must keep
 * them), a bigint beyond 32 bits. With `inFlight`, one delivery is leased.
 */
export function seedFullLog(db: Db, options: { inFlight?: boolean } = {}): void {
  const run = (sql: string, ...params: unknown[]) => db.prepare(sql).run(...params);
  run(
    `INSERT INTO endpoints (id, name, url, scheme, rate_per_second, concurrency, timeout_ms, policy, tls_insecure, tls_ca, events, created_at)
     VALUES ('ep_a', 'orders', 'https://example.test/a', 'standard', 2.5, 3, 1500, '{"retries":2}', 1, 'PEM', '["order.*"]', ?)`,
    t0,
  );
  run(
    "INSERT INTO endpoints (id, name, url, created_at) VALUES ('ep_b', 'billing', 'http://127.0.0.1:9/b', ?)",
    t0,
  );
  run(
    "INSERT INTO endpoint_secrets (id, endpoint_id, secret, created_at, expires_at) VALUES (5, 'ep_a', ?, ?, ?)",
    seededSecret,
    t0,
    t0 + 60_000,
  );
  run(
    "INSERT INTO endpoint_secrets (id, endpoint_id, secret, created_at) VALUES (9, 'ep_a', 'whsec_bmV3ZXI=', ?)",
    t0 + 1,
  );
  run(
    "INSERT INTO endpoint_secrets (id, endpoint_id, secret, created_at) VALUES (12, 'ep_b', 'plain', ?)",
    t0 + 2,
  );
  for (const [i, body] of [Buffer.from('{"order":1}'), binary, Buffer.alloc(0)].entries()) {
    run(
      "INSERT INTO events (id, type, body, content_type, created_at) VALUES (?, 'order.created', ?, 'application/json', ?)",
      `evt_${i}`,
      body,
      t0 + i,
    );
  }
  const delivery = (id: string, event: string, status: string, extra: Record<string, unknown> = {}) => {
    const row = {
      id,
      event_id: event,
      endpoint_id: "ep_a",
      url: "https://example.test/a",
      scheme: "standard",
      extra_headers: '{"X-Team":"core"}',
      secrets: `["${seededSecret}"]`,
      policy: '{"retries":2}',
      timeout_ms: 1500,
      tls_insecure: null,
      tls_ca: null,
      status,
      attempt_count: 1,
      schedule_attempts: 1,
      next_attempt_at: null,
      next_trigger: "scheduled",
      lease_token: null,
      lease_expires_at: null,
      last_status_code: 500,
      last_error_class: "http",
      last_error: "HTTP 500",
      created_at: t0,
      updated_at: t0 + 10,
      completed_at: null,
      ...extra,
    };
    const names = Object.keys(row);
    run(`INSERT INTO deliveries (${names.join(", ")}) VALUES (${names.map((n) => `@${n}`).join(", ")})`, row);
  };
  delivery("dlv_a", "evt_0", "succeeded", {
    completed_at: t0 + 10,
    last_status_code: 200,
    last_error_class: null,
    last_error: null,
  });
  delivery("dlv_b", "evt_0", "dead", { completed_at: t0 + 20, tls_insecure: 0, tls_ca: "PEM" });
  delivery("dlv_c", "evt_1", "pending", { endpoint_id: null, secrets: null, next_attempt_at: t0 + 5000 });
  delivery(
    "dlv_d",
    "evt_2",
    options.inFlight ? "in_flight" : "pending",
    options.inFlight
      ? { lease_token: "tok", lease_expires_at: t0 + 30_000, next_attempt_at: t0 + 100 }
      : { next_attempt_at: t0 + 100 },
  );
  const attempt = (id: number, deliveryId: string, number: number, body: Buffer | null) =>
    run(
      `INSERT INTO attempts (id, delivery_id, number, trigger, url, request_headers, started_at, duration_ms, status_code,
         response_headers, response_body, response_truncated, error_class, error_message)
       VALUES (?, ?, ?, 'initial', 'https://example.test/a', '{"A":"b"}', ?, 12.345, ?, ?, ?, ?, ?, ?)`,
      id,
      deliveryId,
      number,
      t0 + id,
      body ? 500 : null,
      body ? '{"Content-Type":"text/plain"}' : null,
      body,
      body ? 1 : 0,
      body ? "http" : "refused",
      body ? "HTTP 500" : "connection refused",
    );
  attempt(3, "dlv_a", 1, binary);
  attempt(7, "dlv_b", 1, null);
  attempt(8, "dlv_b", 2, Buffer.from("oops"));
  // Captured out of id order: arrival order (rowid) must come over as it is.
  run(
    "INSERT INTO received (id, received_at, method, path, headers, body, verification) VALUES ('rcv_b', ?, 'GET', '/', '[]', ?, 'unverified')",
    t0 + 1,
    Buffer.alloc(0),
  );
  run(
    `INSERT INTO received (id, received_at, method, path, headers, body, delivery_id, event_type, verification,
       verification_reason, scheme, duplicate, response_status, injected, duration_ms)
     VALUES ('rcv_a', ?, 'POST', '/hook', '[{"name":"A","value":"b"}]', ?, 'dlv_a', 'order.created', 'invalid', 'no match', 'hookctl', 1, 500, 'fail', 0.5)`,
    t0,
    binary,
  );
  run(
    "INSERT INTO idempotency_keys (key, request_sha256, event_id, response, created_at) VALUES ('k1', 'abc', 'evt_0', '{\"status\":202}', ?)",
    t0,
  );
  run("INSERT INTO alert_sinks (name, created_at) VALUES ('ops', ?)", t0);
  run(
    "INSERT INTO alerts (id, sink, delivery_id, status, attempts, next_attempt_at, last_error, created_at, sent_at) VALUES ('alr_1', 'ops', 'dlv_b', 'sent', 1, ?, NULL, ?, ?)",
    t0,
    t0,
    t0 + 1,
  );
  run(
    "INSERT INTO alerts (id, sink, delivery_id, status, attempts, next_attempt_at, last_error, created_at) VALUES ('alr_2', 'ops', 'dlv_gone', 'failed', 3, ?, 'refused', ?)",
    t0,
    t0,
  );
  run(
    `INSERT INTO relay_channels (name, token_sha256, max_body_bytes, rate_per_second, max_stored_bytes, next_seq, acked_seq, acked_at, stored_bytes, created_at)
     VALUES ('ch', 'f00d', 1048576, 10, 10000000000, 3, 1, ?, 42, ?)`,
    t0,
    t0,
  );
  for (const seq of [1, 2]) {
    run(
      "INSERT INTO relay_requests (channel, seq, received_at, method, path, query, headers, body, sha256) VALUES ('ch', ?, ?, 'POST', '/in', '?a=1', '[]', ?, 'beef')",
      seq,
      t0 + seq,
      seq === 1 ? binary : Buffer.from("x"),
    );
  }
  run("INSERT INTO relay_cursors (source, acked_seq, updated_at) VALUES ('https://relay.test/ch', 2, ?)", t0);
}

type Rows = Record<string, unknown>[];

/** A value as a comparison sees it: bytes as hex, so a difference is readable. */
function plain(value: unknown): unknown {
  return Buffer.isBuffer(value) ? `hex:${value.toString("hex")}` : value;
}

function plainRows(rows: Rows): Rows {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
}

const selectOf = (table: (typeof transferTables)[number]) =>
  `SELECT ${table.columns.map((c) => c.name).join(", ")} FROM ${table.name} ORDER BY ${table.key.join(", ")}`;

/** Every moved table of a SQLite log, rows in key order. */
export function sqliteTables(db: Db): Record<TableName, Rows> {
  return Object.fromEntries(
    transferTables.map((table) => [table.name, plainRows(db.prepare(selectOf(table)).all() as Rows)]),
  ) as Record<TableName, Rows>;
}

/** Every moved table of a PostgreSQL log, rows in key order (COLLATE "C": SQLite's byte order). */
export async function pgTables(pool: PgPool): Promise<Record<TableName, Rows>> {
  const out = {} as Record<TableName, Rows>;
  for (const table of transferTables) {
    const order = table.key
      .map((key) => (table.columns.find((c) => c.name === key)?.type === "text" ? `${key} COLLATE "C"` : key))
      .join(", ");
    const sql = selectOf(table).replace(/ORDER BY .*$/, `ORDER BY ${order}`);
    out[table.name] = plainRows((await pool.query(sql)).rows);
  }
  return out;
}

/** Captured requests' ids in arrival order (SQLite's rowid, PostgreSQL's arrival). */
export async function arrivalOrder(log: Db | PgPool): Promise<string[]> {
  if ("prepare" in log)
    return log.prepare("SELECT id FROM received ORDER BY rowid").pluck().all() as string[];
  return (await log.query<{ id: string }>("SELECT id FROM received ORDER BY arrival")).rows.map(
    (row) => row.id,
  );
}
