import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { schemaVersion } from "./migrations.js";
import type { Db } from "./open.js";

/** The tables every hookctl log has; a log missing one was tampered with or is not ours. */
const ourTables = ["events", "endpoints", "endpoint_secrets", "deliveries", "attempts", "received"];

const moveAside = "move it aside (hookctl starts a new log there) or pass --db <path> to another log";

function tableNames(db: Db): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
}

/**
 * Checked before anything is written: a log from a newer hookctl is left for it; an SQLite file
 * whose schema version is 0 but which already has tables belongs to another program (hookctl
 * would add its tables to someone else's database) or had its version reset. Refused, unchanged.
 */
export function requireHookctlLog(db: Db, path: string): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > schemaVersion) {
    throw new UsageError(
      `${path} was written by a newer hookctl (schema ${version}, this one knows ${schemaVersion})`,
      "upgrade hookctl, or use another log with --db",
    );
  }
  if (version !== 0) return;
  const names = tableNames(db);
  const ours = names.find((name) => ourTables.includes(name));
  if (ours !== undefined) {
    throw new UsageError(
      `${resolve(path)} is damaged: it says schema 0 but already has hookctl's ${ours} table (was its user_version changed?)`,
      moveAside,
    );
  }
  const foreign = names.filter((name) => !ourTables.includes(name));
  if (foreign.length > 0) {
    throw new UsageError(
      `${resolve(path)} is an SQLite database but not a hookctl delivery log (it has table ${foreign[0]})`,
      "pass --db <path> to a hookctl log, or to a new file",
    );
  }
}

/**
 * A log opened read-only is not migrated: one an older hookctl wrote is read as it is (readers
 * use no column a later migration added), one from a newer hookctl is refused.
 */
export function requireKnownSchema(db: Db, path: string): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version <= schemaVersion) return;
  throw new UsageError(
    `${path} was written by a newer hookctl (schema ${version}, this one knows ${schemaVersion})`,
    "upgrade hookctl, or use another log with --db",
  );
}

/** After migrating: every table there, or the version number lies about what the file holds. */
export function requireTables(db: Db, path: string): void {
  const present = new Set(tableNames(db));
  const missing = ourTables.find((name) => !present.has(name));
  if (missing === undefined) return;
  throw new UsageError(
    `${resolve(path)} is damaged: it says schema ${db.pragma("user_version", { simple: true })} but has no ${missing} table`,
    moveAside,
  );
}

/**
 * SQLite's word for a file that is not (or no longer) a usable log, as one line naming the
 * file; undefined for anything else. Nothing was changed in the file when these are raised.
 */
export function logFault(path: string, error: unknown): UsageError | undefined {
  if (error instanceof UsageError) return undefined;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  const where = resolve(path);
  const family = (name: string) => code === name || code.startsWith(`${name}_`);
  if (family("SQLITE_NOTADB"))
    return new UsageError(
      `${where} is not a hookctl delivery log (not an SQLite database)`,
      moveAside,
      error,
    );
  if (family("SQLITE_CORRUPT"))
    return new UsageError(
      `${where} is damaged: SQLite reports ${(error as Error).message}`,
      moveAside,
      error,
    );
  if (family("SQLITE_FULL"))
    return new UsageError(
      `the disk holding ${where} is full`,
      "free some space and run the command again; nothing was changed",
      error,
    );
  if (family("SQLITE_IOERR"))
    return new UsageError(
      `cannot read or write ${where}: ${(error as Error).message}`,
      "check the disk and the file",
      error,
    );
  if (family("SQLITE_CANTOPEN"))
    return new UsageError(
      `cannot open the delivery log ${where}`,
      "check that its directory exists and is readable",
      error,
    );
  if (family("SQLITE_READONLY"))
    return new UsageError(
      `the delivery log ${where} cannot be written`,
      "check the file's permissions, or pass --db <path> to use another log",
      error,
    );
  return undefined;
}
