import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { UsageError } from "../errors.js";
import { migrations, schemaVersion } from "./migrations.js";

export type Db = Database.Database;

export interface OpenOptions {
  /** Refuse to create a missing log (read-only commands on a fresh machine). */
  mustExist?: boolean;
  /** How long a writer waits for another hookctl process holding the lock. */
  busyTimeoutMs?: number;
}

/**
 * Open (creating if needed) the delivery log: parent directories made, file mode 0600, WAL,
 * a busy timeout so several hookctl processes can share it, foreign keys on, schema migrated.
 */
export function openDb(path: string, options: OpenOptions = {}): Db {
  if (path !== ":memory:") prepareFile(path, options.mustExist === true);
  let db: Db;
  try {
    db = new Database(path, { fileMustExist: options.mustExist === true });
  } catch (error) {
    throw new UsageError(
      `cannot open the delivery log ${path}: ${(error as Error).message}`,
      "pass --db <path> or set HOOKCTL_DB",
      error,
    );
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    // Checkpoint every 8 MiB of WAL rather than SQLite's 4 MiB: a busy send or replay rewrites
    // the same few index pages over and over, and each checkpoint (with its fsync) was a tenth of
    // their time. The file is cut back after a checkpoint so a burst does not leave it large.
    db.pragma("wal_autocheckpoint = 2048");
    db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
    db.pragma("foreign_keys = ON");
    migrate(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function prepareFile(path: string, mustExist: boolean): void {
  try {
    makeParents(dirname(path));
    // Create the file ourselves so it is 0600 from the first byte; SQLite would use the umask.
    if (!mustExist) closeSync(openSync(path, "a", 0o600));
  } catch (error) {
    throw new UsageError(
      `cannot create the delivery log ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      "pass --db <path> to a writable place or set HOOKCTL_DB",
      error,
    );
  }
}

/**
 * mkdir -p, one level at a time: Node 20's recursive mkdirSync never returns for some paths
 * (e.g. under /proc), and a hung CLI is worse than a clear error.
 */
function makeParents(dir: string): void {
  const missing: string[] = [];
  for (let current = dir; !existsSync(current); current = dirname(current)) {
    if (dirname(current) === current) break;
    missing.unshift(current);
  }
  for (const level of missing) mkdirSync(level, { mode: 0o700 });
}

/** Bring the schema up to date, one transaction per migration; refuse logs from a newer hookctl. */
export function migrate(db: Db, path = "the delivery log"): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > schemaVersion) {
    throw new UsageError(
      `${path} was written by a newer hookctl (schema ${current}, this one knows ${schemaVersion})`,
      "upgrade hookctl, or use another log with --db",
    );
  }
  for (let version = current; version < schemaVersion; version++) {
    const sql = migrations[version] as string;
    db.transaction(() => {
      // Another process may have run this migration while we waited for the write lock.
      if ((db.pragma("user_version", { simple: true }) as number) > version) return;
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
