import { findIdsBySuffix, type IdTable } from "../id-lookup.js";
import type { LogHandle } from "../log-handle.js";
import { findPgIdsBySuffix } from "../pg/id-lookup.js";
import { bindSqlite } from "./bind.js";

/** findIdsBySuffix on either backend. */
export function findLogIdsBySuffix(
  log: LogHandle,
  table: IdTable,
  text: string,
  limit?: number,
): Promise<string[]> {
  if (log.backend === "postgres") return findPgIdsBySuffix(log.pool, table, text, limit);
  return bindSqlite(log.db, { findIdsBySuffix }).findIdsBySuffix(table, text, limit);
}
