import { resolveDbPath } from "../../config/paths.js";
import { type HeaderList, toHeaderList } from "../../contract/headers.js";
import { HookctlError, UsageError } from "../../errors.js";
import { openLog } from "../../store/log-handle.js";
import { receivedStoreOf } from "../../store/ports/received.js";
import { resolveLogId } from "../ids.js";

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
 * log (either backend) without creating one. Loaded with import() by `verify --received` only:
 * the store stays out of every other verify.
 */
export async function loadReceived(
  text: string,
  dbFlag: string | undefined,
  env: Record<string, string | undefined>,
): Promise<CapturedRequest> {
  const target = resolveDbPath(dbFlag, env);
  let where = target;
  try {
    const log = await openLog(target, { readOnly: true });
    where = log.where;
    try {
      const id = await resolveLogId(log, "received", text);
      const row = await receivedStoreOf(log).getReceived(id);
      if (!row) throw new UsageError(`no captured request ${JSON.stringify(text)} in the log`);
      return { id, headers: toHeaderList(row.headers), body: row.body, receivedAt: row.receivedAt };
    } finally {
      await log.close();
    }
  } catch (error) {
    if (error instanceof HookctlError || !isSqliteError(error)) throw error;
    // Not a hookctl log, or a damaged one: the request cannot be read, which is exit 2, not a bug.
    throw new UsageError(`cannot read captured requests from ${where}: ${error.message}`, dbHint, error);
  }
}

function isSqliteError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && code.startsWith("SQLITE_");
}
