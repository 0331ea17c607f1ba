import { findIdsBySuffix, type IdTable } from "../id-lookup.js";
import type { LogHandle } from "../log-handle.js";
import { findPgIdsBySuffix } from "../pg/id-lookup.js";

/** findIdsBySuffix on either backend. */
export function findLogIdsBySuffix(
  log: LogHandle,
  table: IdTable,
  text: string,
  limit?: number,
): Promise<string[]> {
  if (log.backend === "postgres") return findPgIdsBySuffix(log.pool, table, text, limit);
  try {
    return Promise.resolve(findIdsBySuffix(log.db, table, text, limit));
  } catch (error) {
    return Promise.reject(error);
  }
}
