/**
 * What `hookctl log export` / `log import` move: every table both backends' schemas hold, in
 * foreign-key order (a row's parents come before it), each with the columns it has on both.
 * PostgreSQL's own bookkeeping (endpoint slots and buckets, made by a trigger from endpoints;
 * scope sets of running processes) is not moved.
 *
 * Column types: `time` is integer milliseconds since the epoch (ISO 8601 in the export stream),
 * `bytes` a BLOB/bytea (base64 in the stream), `integer` and `real` numbers, `text` text (JSON
 * columns stay the text they are stored as). A trailing `?` marks a nullable column.
 */
export type ColumnType = "text" | "integer" | "real" | "time" | "bytes";

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** The column's name in the export stream: camelCase, `…Base64` for bytes. */
  field: string;
}

export interface TableSpec {
  name: TableName;
  /** The primary key, the order rows are read and written in. */
  key: readonly string[];
  columns: readonly Column[];
  /** A PostgreSQL identity column, whose sequence must be moved past the copied ids. */
  identity?: string;
  /**
   * Rows are read in arrival order rather than by key, and so written in it: each backend
   * numbers them as they are written (SQLite's rowid, PostgreSQL's `arrival` identity) and lists
   * them by that number.
   */
  arrival?: { sqlite: string; postgres: string };
}

const definitions = {
  endpoints: [
    ["id"],
    "id text, name text, url text, scheme text, rate_per_second real?, concurrency integer?, timeout_ms integer?, policy text?, tls_insecure integer?, tls_ca text?, events text?, created_at time",
  ],
  endpoint_secrets: [["id"], "id integer, endpoint_id text, secret text, created_at time, expires_at time?"],
  events: [["id"], "id text, type text, body bytes, content_type text, created_at time"],
  deliveries: [
    ["id"],
    "id text, event_id text, endpoint_id text?, url text, scheme text, extra_headers text, secrets text?, policy text, timeout_ms integer, tls_insecure integer?, tls_ca text?, status text, attempt_count integer, schedule_attempts integer, next_attempt_at time?, next_trigger text, lease_token text?, lease_expires_at time?, last_status_code integer?, last_error_class text?, last_error text?, created_at time, updated_at time, completed_at time?",
  ],
  attempts: [
    ["id"],
    "id integer, delivery_id text, number integer, trigger text, url text, request_headers text, started_at time, duration_ms real, status_code integer?, response_headers text?, response_body bytes?, response_truncated integer, error_class text?, error_message text?",
  ],
  received: [
    ["id"],
    "id text, received_at time, method text, path text, headers text, body bytes, delivery_id text?, event_type text?, verification text, verification_reason text?, scheme text?, duplicate integer, response_status integer?, injected text?, duration_ms real?",
  ],
  idempotency_keys: [["key"], "key text, request_sha256 text, event_id text, response text, created_at time"],
  alert_sinks: [["name"], "name text, created_at time"],
  alerts: [
    ["id", "sink"],
    "id text, sink text, delivery_id text, status text, attempts integer, next_attempt_at time, last_error text?, created_at time, sent_at time?",
  ],
  relay_channels: [
    ["name"],
    "name text, token_sha256 text, max_body_bytes integer?, rate_per_second real?, max_stored_bytes integer?, next_seq integer, acked_seq integer, acked_at time?, stored_bytes integer, created_at time",
  ],
  relay_requests: [
    ["channel", "seq"],
    "channel text, seq integer, received_at time, method text, path text, query text, headers text, body bytes, sha256 text",
  ],
  relay_cursors: [["source"], "source text, acked_seq integer, updated_at time"],
} as const;

export type TableName = keyof typeof definitions;

const identities: Partial<Record<TableName, string>> = { endpoint_secrets: "id", attempts: "id" };

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function columnsOf(text: string): Column[] {
  return text.split(",").map((part) => {
    const [name = "", declared = ""] = part.trim().split(" ");
    const type = declared.replace("?", "") as ColumnType;
    return {
      name,
      type,
      nullable: declared.endsWith("?"),
      field: type === "bytes" ? `${camel(name)}Base64` : camel(name),
    };
  });
}

/** Every moved table, parents first. */
export const transferTables: readonly TableSpec[] = Object.entries(definitions).map(
  ([name, [key, columns]]) => ({
    name: name as TableName,
    key,
    columns: columnsOf(columns),
    identity: identities[name as TableName],
    arrival: name === "received" ? { sqlite: "rowid", postgres: "arrival" } : undefined,
  }),
);

/**
 * What a reader on `backend` orders and pages `table` by: its arrival number, else its key. Each
 * is selected again as `hookctl_order_<n>`, which writers and the stream ignore.
 */
export function readOrder(
  table: TableSpec,
  backend: "sqlite" | "postgres",
): { columns: string; select: string; last: (row: Row) => unknown[]; count: number } {
  const order = table.arrival ? [table.arrival[backend]] : table.key;
  const aliases = order.map((_, i) => `hookctl_order_${i}`);
  return {
    columns: order.join(", "),
    select: order.map((column, i) => `${column} AS ${aliases[i]}`).join(", "),
    last: (row) => aliases.map((alias) => row[alias]),
    count: order.length,
  };
}

export const tableNames = transferTables.map((table) => table.name) as [TableName, ...TableName[]];

export function tableSpec(name: TableName): TableSpec {
  return transferTables.find((table) => table.name === name) as TableSpec;
}

/** A row as the store holds it: column name to text, number, bytes or null. */
export type Row = Record<string, string | number | Buffer | null>;

/** Rows of one table, a chunk of them, in key order. */
export interface Batch {
  table: TableSpec;
  rows: Row[];
  /** Read from an export stream: the lines its first and last rows came from. */
  lines?: readonly [number, number];
}

/** The table names as the export stream and --json spell them (camelCase). */
export function tableField(name: TableName): string {
  return camel(name);
}

const singular: Partial<Record<TableName, string>> = { deliveries: "delivery", received: "captured request" };
const plural: Partial<Record<TableName, string>> = { received: "captured requests" };

/** `1 delivery`, `3 endpoint secrets`: `n` rows of `name` in words (digits as `digits` gives them). */
export function rowsInWords(name: TableName, n: number, digits: (n: number) => string = String): string {
  const many = plural[name] ?? name.replaceAll("_", " ");
  return `${digits(n)} ${n === 1 ? (singular[name] ?? many.replace(/s$/, "")) : many}`;
}
