import { HookctlError } from "../errors.js";

const causes: Record<string, { message: string; hint: string }> = {
  SQLITE_BUSY: {
    message: "the delivery log stayed locked by another process",
    hint: "wait for it to finish (or stop it), then run hookctl replay to send what is pending; nothing stored was lost",
  },
  SQLITE_FULL: {
    message: "the disk holding the delivery log is full",
    hint: "free some space, then run hookctl replay to send what is pending; nothing stored was lost",
  },
  SQLITE_CORRUPT: {
    message: "the delivery log is damaged (SQLite reports corruption)",
    hint: "restore it from a backup, or move it aside and start a new one with --db",
  },
  SQLITE_IOERR: {
    message: "the disk holding the delivery log failed a read or write",
    hint: "check the disk; rerun the command once it is healthy (what was committed is kept)",
  },
  SQLITE_READONLY: {
    message: "the delivery log cannot be written",
    hint: "check the file's permissions, or pass --db <path> to use another log",
  },
};

/**
 * A SQLite failure the user can act on (a lock held too long, a full disk, a read-only file, a
 * damaged file or a failing disk) as
 * one line and exit 2; anything else stays an unexpected error. Codes are matched by family:
 * SQLITE_BUSY_SNAPSHOT is a lock, SQLITE_READONLY_DBMOVED read-only.
 */
export function storeFault(error: unknown): HookctlError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const lost = pgConnectionLost(error, code);
  if (lost) return lost;
  if (typeof code !== "string") return undefined;
  const family = Object.keys(causes).find((name) => code === name || code.startsWith(`${name}_`));
  const cause = family ? causes[family] : undefined;
  return cause ? new HookctlError(cause.message, { exitCode: 2, hint: cause.hint, cause: error }) : undefined;
}

/**
 * A PostgreSQL log that went away mid-command (server stopped or restarted, network cut) or ran
 * out of room: one line, exit 2. Whatever committed before is kept; a lease held is reclaimed.
 */
function pgConnectionLost(error: unknown, code: unknown): HookctlError | undefined {
  const message = error instanceof Error ? error.message : "";
  const network = typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|08|57P0)/.test(code);
  const broken =
    message === "Connection terminated unexpectedly" ||
    message === "Client has encountered a connection error and is not queryable";
  if (network || broken) {
    return new HookctlError("lost the connection to the PostgreSQL log", {
      exitCode: 2,
      hint: "check the server, then rerun the command; what was committed is kept",
      cause: error,
    });
  }
  if (code === "53100" || code === "53300") {
    return new HookctlError(
      code === "53100"
        ? "the PostgreSQL server's disk is full"
        : "the PostgreSQL server refused another connection",
      {
        exitCode: 2,
        hint: "fix the server, then rerun the command; what was committed is kept",
        cause: error,
      },
    );
  }
  return undefined;
}

/**
 * A fault that passes without anyone touching the log itself: a lock held by another process, a
 * full disk, a failing read or write, a PostgreSQL server gone or out of connections. A watching
 * scheduler waits these out; a damaged or read-only log, or anything else, it does not.
 */
export function isTransientStoreFault(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (pgConnectionLost(error, code)) return true;
  return typeof code === "string" && /^SQLITE_(BUSY|FULL|IOERR)/.test(code);
}
