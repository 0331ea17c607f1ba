import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { UsageError } from "../errors.js";
import { logFault, requireHookctlLog, requireKnownSchema, requireTables } from "./log-checks.js";
import { canWrite, requireRegularFile, tightenMode } from "./log-file.js";
import { migrations, schemaVersion } from "./migrations.js";

export type Db = Database.Database;

/** WAL pages between automatic checkpoints (8 MiB; see openDb). */
export const walAutocheckpointPages = 2048;

export interface OpenOptions {
  /**
   * Refuse to create a missing log or its directories (commands that only read): a missing file
   * is a UsageError naming the path.
   */
  mustExist?: boolean;
  /**
   * The command only reads (implies mustExist): the log is opened read-only and never changed,
   * not even migrated — a log an older hookctl wrote stays readable by that hookctl.
   */
  readOnly?: boolean;
  /** How long a writer waits for another hookctl process holding the lock. */
  busyTimeoutMs?: number;
}

/**
 * Open (creating if needed, unless `mustExist`) the delivery log: parent directories made, file
 * mode 0600, WAL, a busy timeout so several hookctl processes can share it, foreign keys on,
 * schema migrated.
 */
export function openDb(path: string, options: OpenOptions = {}): Db {
  const mustExist = options.mustExist === true || options.readOnly === true;
  const file = path !== ":memory:";
  if (file) {
    requireRegularFile(path);
    prepareFile(path, mustExist);
  }
  // A log this process may not write (a shared read-only copy, a read-only mount) can still be
  // read: opened read-only, with nothing set or migrated.
  const readOnly = file && (options.readOnly === true || (mustExist && !canWrite(path)));
  let db: Db;
  try {
    db = readOnly ? openReadOnly(path) : new Database(path, { fileMustExist: mustExist });
  } catch (error) {
    throw (
      logFault(path, error) ??
      new UsageError(
        `cannot open the delivery log ${path}: ${(error as Error).message}`,
        "pass --db <path> or set HOOKCTL_DB",
        error,
      )
    );
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Read before anything is written: a file that is not ours is refused unchanged. While
    // another process is turning a fresh log into WAL mode, SQLite answers BUSY at once, without
    // waiting on the busy timeout: such reads are tried again until the timeout. One read
    // transaction, so the version and the tables are read from the same moment: a process that
    // commits the first migration between the two reads made a fresh log look damaged.
    whileBusy(() => db.transaction(() => requireHookctlLog(db, path))(), busyTimeoutMs);
    // Only a file known to be ours has its permissions changed (it holds secrets).
    if (file) tightenMode(path);
    if (readOnly) requireKnownSchema(db, path);
    else {
      whileBusy(() => db.pragma("journal_mode = WAL"), busyTimeoutMs);
      db.pragma("synchronous = NORMAL");
      // Checkpoint every 8 MiB of WAL rather than SQLite's 4 MiB: a busy send or replay rewrites
      // the same few index pages over and over, and each checkpoint (with its fsync) was a tenth
      // of their time; a long run hands them to a thread (background-checkpoints.ts). The file is
      // cut back after a checkpoint so a burst does not leave it large.
      db.pragma(`wal_autocheckpoint = ${walAutocheckpointPages}`);
      db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
      migrate(db, path);
    }
    db.pragma("foreign_keys = ON");
    requireTables(db, path);
  } catch (error) {
    db.close();
    throw logFault(path, error) ?? error;
  }
  return db;
}

/**
 * A log this process may only read. SQLite reads a WAL-mode file read-only only where it can
 * create the -shm file beside it; in a read-only directory (a shared, mounted or packaged copy)
 * it cannot. With no WAL content waiting to be checkpointed the file alone is the whole log, so
 * it is read into memory (its header marked as a rollback-journal file) and queried from there.
 */
function openReadOnly(path: string): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.prepare("SELECT 1 FROM sqlite_master LIMIT 1").get();
    return db;
  } catch (error) {
    db.close();
    const code = String((error as { code?: unknown }).code ?? "");
    const walWaiting = existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
    if (walWaiting || !(code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN")))
      throw error;
  }
  const image = readFileSync(path);
  // Bytes 18 and 19: the file format versions, 2 for WAL; 1 opens it as a plain file in memory.
  if (image.length >= 20) image.fill(1, 18, 20);
  return new Database(image, { readonly: true });
}

/** `work()`, tried again on SQLITE_BUSY (with short synchronous pauses) for up to `timeoutMs`. */
function whileBusy<T>(work: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      return work();
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? "");
      if (!code.startsWith("SQLITE_BUSY") || Date.now() + pause > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

function prepareFile(path: string, mustExist: boolean): void {
  if (mustExist) {
    // A typo in --db must not leave a new empty log (and directories) behind and report it empty.
    // An existing empty file is a log another process is creating: it is migrated like any other.
    if (!existsSync(path)) {
      throw new UsageError(
        `no delivery log at ${resolve(path)}`,
        "check --db / HOOKCTL_DB, or create one with hookctl send or hookctl endpoint add",
      );
    }
    return;
  }
  const existed = existsSync(path);
  try {
    makeParents(dirname(path));
    // Create the file ourselves so it is 0600 from the first byte; SQLite would use the umask.
    closeSync(openSync(path, "a", 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (existed && (code === "EACCES" || code === "EPERM" || code === "EROFS")) {
      throw new UsageError(
        `the delivery log ${path} cannot be written (${code})`,
        "check the file's permissions, or pass --db <path> to use another log",
        error,
      );
    }
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
