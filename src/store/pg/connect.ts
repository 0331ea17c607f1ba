import pg from "pg";
import { UsageError } from "../../errors.js";
import { migratePg } from "./schema.js";
import { isPostgresUrl, maskDatabaseUrl } from "./url.js";

export type PgPool = pg.Pool;

/**
 * Type parsers for hookctl's pools: bigint (ms timestamps, counts) as numbers, as SQLite gives
 * them; every time hookctl stores is far below 2^53. Other types keep pg's defaults (bytea as
 * Buffer, JSON columns are text).
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.INT8 && format !== "binary") return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** `text` with every occurrence of the URL's password (raw or percent-encoded) masked. */
function scrub(text: string, databaseUrl: string): string {
  let out = text.split(databaseUrl).join(maskDatabaseUrl(databaseUrl));
  let secrets: string[] = [];
  try {
    const url = new URL(databaseUrl);
    secrets = [url.password, url.searchParams.get("password") ?? ""].filter((s) => s.length > 0);
    secrets = secrets.flatMap((s) => [s, safeDecode(s)]);
  } catch {
    // Not a URL: nothing more to find.
  }
  for (const secret of secrets) out = out.split(secret).join("***");
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export interface PgConnectOptions {
  /** Connections in the pool (default 4: one engine's exchanges, renewals and reads). */
  max?: number;
  /** Run the schema migrations (default true). */
  migrate?: boolean;
  /**
   * Give up on a server that does not answer within this long (default 10 s): a host that drops
   * packets would otherwise hold a command for the operating system's TCP timeout.
   */
  connectTimeoutMs?: number;
}

/**
 * A pool over the PostgreSQL log at `databaseUrl`, checked (one connection made) and migrated.
 * A password may come from the URL, `PGPASSWORD` or `~/.pgpass` (pg's own defaults), so none is
 * ever needed on argv; errors name the URL only masked.
 */
export async function connectPg(databaseUrl: string, options: PgConnectOptions = {}): Promise<PgPool> {
  if (!isPostgresUrl(databaseUrl)) {
    throw new UsageError(
      `not a PostgreSQL URL: ${maskDatabaseUrl(databaseUrl)}`,
      "use postgres://user@host:5432/database",
    );
  }
  const pool = new pg.Pool({
    connectionString: withLibpqSslModes(databaseUrl),
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    types,
    application_name: "hookctl",
  });
  // An idle connection the server dropped must not crash the process: the next query reconnects.
  pool.on("error", () => {});
  // Likewise a connection that breaks while checked out between two queries: its next query
  // fails (and the store reports it), instead of an unhandled 'error' event ending the process.
  pool.on("connect", (client) => client.on("error", () => {}));
  try {
    if (options.migrate !== false) await migratePg(pool);
    else await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => {});
    throw pgConnectError(error, databaseUrl);
  }
  return pool;
}

/**
 * `sslmode` as libpq (and psql) mean it: `require` encrypts without checking the certificate,
 * `verify-full` checks it. pg 8 reads `prefer`, `require` and `verify-ca` as `verify-full` and
 * prints a multi-line warning on every start; a URL copied from a hosting provider must behave
 * as it does in every other client.
 */
export function withLibpqSslModes(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return databaseUrl;
  }
  // Only the modes pg 8 reads differently from libpq; `no-verify` (pg's own) keeps its meaning.
  const mode = url.searchParams.get("sslmode");
  if (!["prefer", "require", "verify-ca"].includes(mode ?? "") || url.searchParams.has("uselibpqcompat")) {
    return databaseUrl;
  }
  url.searchParams.set("uselibpqcompat", "true");
  return url.toString();
}

/** A failure to reach or prepare the log, as one masked line with what to check. */
export function pgConnectError(error: unknown, databaseUrl: string): UsageError {
  const reason = scrub(error instanceof Error ? error.message : String(error), databaseUrl);
  return new UsageError(
    `cannot open the PostgreSQL log ${maskDatabaseUrl(databaseUrl)}: ${reason}`,
    "check the host, database and credentials (PGPASSWORD or ~/.pgpass)",
  );
}
