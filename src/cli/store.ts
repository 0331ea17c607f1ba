import { resolveDbPath } from "../config/paths.js";
import { type LogHandle, type OpenLogOptions, openLog } from "../store/log-handle.js";
import type { OpenOptions } from "../store/open.js";
import type { CliContext } from "./context.js";
import type { GlobalOptions } from "./output.js";

type OpenFlags = Pick<OpenOptions, "mustExist" | "readOnly">;

/**
 * Open the delivery log the global options point at, on either backend (`--db postgres://…`
 * or a file). Only commands that need it import this. Commands that only read pass
 * `{ readOnly: true }`: a mistyped --db is an error, not a new log, and the log is never changed.
 * Commands that change stored data pass `{ mustExist: true }`.
 */
export function openLogFor(
  options: GlobalOptions,
  ctx: CliContext,
  open: OpenFlags & Pick<OpenLogOptions, "poolSize"> = {},
): Promise<LogHandle> {
  return openLog(resolveDbPath(options.db, ctx.env), open);
}

/** Run `work` with the log open, closing it whatever happens. */
export async function withLog<T>(
  options: GlobalOptions,
  ctx: CliContext,
  open: OpenFlags,
  work: (log: LogHandle) => Promise<T> | T,
): Promise<T> {
  const log = await openLogFor(options, ctx, open);
  try {
    return await work(log);
  } finally {
    await log.close();
  }
}
