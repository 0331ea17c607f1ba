import type { Statement } from "better-sqlite3";
import { storedHeaderPairs } from "../contract/schema/stored.js";
import type { Db } from "./open.js";
import { advanceRelayCursors, type CursorAdvance } from "./relay-cursors.js";
import { parseStoredJson } from "./stored-json.js";

/** One request captured by `listen`, byte-exact: raw header pairs in arrival order and case. */
export interface ReceivedRecord {
  id: string;
  receivedAt: number;
  method: string;
  path: string;
  headers: [string, string][];
  body: Uint8Array;
  deliveryId: string | null;
  eventType: string | null;
  verification: "verified" | "invalid" | "unverified";
  verificationReason: string | null;
  scheme: string | null;
  duplicate: boolean;
  /** Null when the connection was dropped on purpose. */
  responseStatus: number | null;
  /** How a failure was injected (`fail-first 1/2`, `fail-rate drop`), if one was. */
  injected: string | null;
  durationMs: number | null;
}

/** A listing row: everything but the body, whose size is given instead. */
export type ReceivedSummaryRow = Omit<ReceivedRecord, "body" | "headers"> & { size: number };

export interface ReceivedRow extends ReceivedRecord {
  body: Buffer;
}

export interface ListReceivedOptions {
  limit?: number;
  deliveryId?: string;
}

/** The insert, for writers that prepare it on their own connection (the capture thread). */
export const insertReceivedSql = `INSERT INTO received (id, received_at, method, path, headers, body, delivery_id,
  event_type, verification, verification_reason, scheme, duplicate, response_status, injected, duration_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Every column but the body, and the body's size in bytes (the same SQL on both backends). */
export const summaryColumns = `id, received_at, method, path, delivery_id, event_type, verification,
  verification_reason, scheme, duplicate, response_status, injected, duration_ms, length(body) AS size`;

/** A record as insertReceivedSql's parameters, in column order (binding by position is cheapest). */
export function receivedParams(record: ReceivedRecord): unknown[] {
  return [
    record.id,
    record.receivedAt,
    record.method,
    record.path,
    JSON.stringify(record.headers),
    // A Buffer view over the same bytes: better-sqlite3 binds Buffers as BLOBs verbatim.
    Buffer.isBuffer(record.body)
      ? record.body
      : Buffer.from(record.body.buffer, record.body.byteOffset, record.body.byteLength),
    record.deliveryId,
    record.eventType,
    record.verification,
    record.verificationReason,
    record.scheme,
    record.duplicate ? 1 : 0,
    record.responseStatus,
    record.injected,
    record.durationMs,
  ];
}

// A receiver under load inserts thousands of rows a second: prepare the statement once per handle.
const insertStatements = new WeakMap<Db, Statement>();

function insertStatement(db: Db): Statement {
  let statement = insertStatements.get(db);
  if (!statement) {
    statement = db.prepare(insertReceivedSql);
    insertStatements.set(db, statement);
  }
  return statement;
}

/** Store one captured request. */
export function insertReceived(db: Db, record: ReceivedRecord): void {
  insertStatement(db).run(receivedParams(record));
}

/** Store several captured requests in one transaction (one commit for a burst of requests). */
export function insertReceivedMany(db: Db, records: readonly ReceivedRecord[]): void {
  const statement = insertStatement(db);
  db.transaction(() => {
    for (const record of records) statement.run(receivedParams(record));
  })();
}

/**
 * What `listen` commits together: captured requests and the relay cursors they move (listen
 * --from), in one transaction, so after a crash a cursor never names a request the log lacks.
 */
export function captureReceived(
  db: Db,
  records: readonly ReceivedRecord[],
  cursors: readonly CursorAdvance[] = [],
): void {
  db.transaction(() => {
    insertReceivedMany(db, records);
    if (cursors.length > 0) advanceRelayCursors(db, cursors);
  })();
}

/**
 * Captured requests, newest first, without bodies. Ordered by rowid (insertion order): ids from
 * the same millisecond do not sort by arrival, but captures are inserted in the order answered.
 */
export function listReceived(db: Db, options: ListReceivedOptions = {}): ReceivedSummaryRow[] {
  const limit = options.limit ?? 50;
  const rows = options.deliveryId
    ? db
        .prepare(`SELECT ${summaryColumns} FROM received WHERE delivery_id = ? ORDER BY rowid DESC LIMIT ?`)
        .all(options.deliveryId, limit)
    : db.prepare(`SELECT ${summaryColumns} FROM received ORDER BY rowid DESC LIMIT ?`).all(limit);
  return (rows as Raw[]).map(receivedSummaryOf);
}

/** One captured request with its exact headers and body, or undefined. */
export function getReceived(db: Db, id: string): ReceivedRow | undefined {
  const raw = db.prepare("SELECT * FROM received WHERE id = ?").get(id) as Raw | undefined;
  return raw ? receivedRowOf(raw) : undefined;
}

/** A row of `received` (either backend: same column names), as getReceived returns it. */
export function receivedRowOf(raw: Raw): ReceivedRow {
  return {
    ...common(raw),
    headers: parseStoredJson(storedHeaderPairs, raw.headers, `received ${raw.id} headers`),
    body: raw.body as Buffer,
  };
}

/** A listing row (summary columns and `size`), as listReceived returns it. */
export function receivedSummaryOf(raw: Raw): ReceivedSummaryRow {
  return { ...common(raw), size: raw.size as number };
}

type Raw = Record<string, unknown>;

function common(raw: Raw): Omit<ReceivedRecord, "body" | "headers"> {
  return {
    id: raw.id as string,
    receivedAt: raw.received_at as number,
    method: raw.method as string,
    path: raw.path as string,
    deliveryId: (raw.delivery_id as string | null) ?? null,
    eventType: (raw.event_type as string | null) ?? null,
    verification: raw.verification as ReceivedRecord["verification"],
    verificationReason: (raw.verification_reason as string | null) ?? null,
    scheme: (raw.scheme as string | null) ?? null,
    duplicate: raw.duplicate === 1,
    responseStatus: (raw.response_status as number | null) ?? null,
    injected: (raw.injected as string | null) ?? null,
    durationMs: (raw.duration_ms as number | null) ?? null,
  };
}
