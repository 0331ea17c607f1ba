import { resolveDbPath } from "../config/paths.js";
import { type Db, openDb } from "../store/open.js";
import type { CliContext } from "./context.js";
import type { GlobalOptions } from "./output.js";

/** Open the delivery log the global options point at. Only commands that need it import this. */
export function openStoreFor(options: GlobalOptions, ctx: CliContext): { db: Db; path: string } {
  const path = resolveDbPath(options.db, ctx.env);
  return { db: openDb(path), path };
}
