import { resolveDbPath } from "../../config/paths.js";
import { type HeaderList, toHeaderList } from "../../contract/headers.js";
import { HookctlError, UsageError } from "../../errors.js";
import { openDb } from "../../store/open.js";
import { getReceived } from "../../store/received.js";
import { resolveId } from "../ids.js";

/** A request `listen` captured, as verify needs it. */
export interface CapturedRequest {
  id: string;
  headers: HeaderList;
  body: Buffer;
  /** Milliseconds since the epoch. */
  receivedAt: number;
}

const dbHint = "pass --db <path> or set HOOKCTL_DB to the log hookctl listen captured into";

/**
 * The captured request `text` names (full id or a unique suffix of 6+ characters), read from the
 * log without creating one. Loaded with import() by `verify --received` only: SQLite stays out of
 * every other verify.
 */
export function loadReceived(
  text: string,
  dbFlag: string | undefined,
  env: Record<string, string | undefined>,
): CapturedRequest {
  const path = resolveDbPath(dbFlag, env);
  try {
    const db = openDb(path, { readOnly: true });
    try {
      const id = resolveId(db, "received", text);
      const row = getReceived(db, id);
      if (!row) throw new UsageError(`no captured request ${JSON.stringify(text)} in the log`);
      return { id, headers: toHeaderList(row.headers), body: row.body, receivedAt: row.receivedAt };
    } finally {
      db.close();
    }
  } catch (error) {
    if (error instanceof HookctlError || !isSqliteError(error)) throw error;
    // Not a hookctl log, or a damaged one: the request cannot be read, which is exit 2, not a bug.
    throw new UsageError(`cannot read captured requests from ${path}: ${error.message}`, dbHint, error);
  }
}

function isSqliteError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && code.startsWith("SQLITE_");
}
