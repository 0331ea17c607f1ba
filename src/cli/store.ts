import { resolveDbPath } from "../config/paths.js";
import { type Db, type OpenOptions, openDb } from "../store/open.js";
import type { CliContext } from "./context.js";
import type { GlobalOptions } from "./output.js";

/**
 * Open the delivery log the global options point at. Only commands that need it import this.
 * Commands that only read pass `{ readOnly: true }`: a mistyped --db is an error, not a new log,
 * and the log is never changed. Commands that change stored data pass `{ mustExist: true }`.
 */
export function openStoreFor(
  options: GlobalOptions,
  ctx: CliContext,
  open: Pick<OpenOptions, "mustExist" | "readOnly"> = {},
): { db: Db; path: string } {
  const path = resolveDbPath(options.db, ctx.env);
  return { db: openDb(path, open), path };
}
