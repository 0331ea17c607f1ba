import { UsageError } from "../errors.js";
import type { EngineStore } from "./engine-port.js";
import { type Db, type OpenOptions, openDb } from "./open.js";
import type { PgPool } from "./pg/connect.js";
import { isPostgresUrl, maskDatabaseUrl } from "./pg/url.js";
import { SqliteEngineStore } from "./sqlite-engine.js";

/**
 * An open delivery log, on either backend. Store ports (src/store/ports/) are built from it;
 * a command holds one handle and closes it once. `where` names the log for messages: the file's
 * path, or the database URL with its password masked.
 */
export type LogHandle = SqliteLog | PostgresLog;

export interface SqliteLog {
  backend: "sqlite";
  db: Db;
  where: string;
  close(): Promise<void>;
}

export interface PostgresLog {
  backend: "postgres";
  pool: PgPool;
  where: string;
  close(): Promise<void>;
}

export interface OpenLogOptions extends OpenOptions {
  /** PostgreSQL: connections in the pool (default 4). */
  poolSize?: number;
  /** PostgreSQL: how long to wait for the server to answer a connection (default 10 s). */
  connectTimeoutMs?: number;
}

/**
 * Open the log `target` names: a `postgres://` URL, or a SQLite file path. The options mean the
 * same on both: `mustExist` refuses to create a log, and so does `readOnly`, which on SQLite also
 * never migrates one (a shared PostgreSQL log is migrated by whoever comes first; see prepareSchema).
 */
export async function openLog(target: string, options: OpenLogOptions = {}): Promise<LogHandle> {
  if (!isPostgresUrl(target)) {
    const db = openDb(target, options);
    return {
      backend: "sqlite",
      db,
      where: target,
      close: async () => {
        db.close();
      },
    };
  }
  const { connectPg, pgConnectError } = await import("./pg/connect.js");
  const where = maskDatabaseUrl(target);
  const pool = await connectPg(target, {
    max: options.poolSize,
    migrate: false,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  try {
    await prepareSchema(pool, where, options);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error instanceof UsageError ? error : pgConnectError(error, target);
  }
  let closed = false;
  return {
    backend: "postgres",
    pool,
    where,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/**
 * A command that acts on what is stored is refused on a database hookctl never wrote (a typo in
 * the URL's database name must not look like an empty log). Otherwise the schema is brought up
 * to date — by readers too, unlike SQLite: a shared database is upgraded once by whoever comes
 * first, and a reader that is already current writes nothing (a read-only role works).
 */
async function prepareSchema(pool: PgPool, where: string, options: OpenOptions): Promise<void> {
  const { migratePg, pgSchemaVersion } = await import("./pg/schema.js");
  const { rows } = await pool.query<{ versioned: string | null }>(
    "SELECT to_regclass('schema_version')::text AS versioned",
  );
  const existing = rows[0]?.versioned != null;
  if (!existing && (options.mustExist === true || options.readOnly === true)) {
    throw new UsageError(
      `no delivery log at ${where}`,
      "check --db / HOOKCTL_DB, or create one with hookctl endpoint add --db <url>",
    );
  }
  let current = 0;
  if (existing) {
    const { rows: version } = await pool.query<{ v: number | null }>(
      "SELECT max(version) AS v FROM schema_version",
    );
    current = version[0]?.v ?? 0;
  }
  if (current > pgSchemaVersion) {
    throw new UsageError(
      `${where} was written by a newer hookctl (schema ${current}, this one knows ${pgSchemaVersion})`,
      "upgrade hookctl, or use another log with --db",
    );
  }
  if (current < pgSchemaVersion) await migratePg(pool);
}

/** The delivery engine's port over this log. */
export async function engineStoreOf(log: LogHandle): Promise<EngineStore & { close?(): Promise<void> }> {
  if (log.backend === "sqlite") return new SqliteEngineStore(log.db);
  const { PgEngineStore } = await import("./pg/engine-store.js");
  return new PgEngineStore(log.pool);
}
