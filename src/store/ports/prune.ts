import type { LogHandle } from "../log-handle.js";
import { PgPrune } from "../pg/prune.js";
import { countPrunable, prune, vacuum } from "../prune.js";
import { bindSqlite, type Port } from "./bind.js";

const sqlitePrune = { countPrunable, prune, vacuum };

/** Retention (`hookctl log prune`), on either backend. */
export type PruneStore = Port<typeof sqlitePrune>;

export function pruneStoreOf(log: LogHandle): PruneStore {
  if (log.backend === "postgres") return new PgPrune(log.pool);
  return bindSqlite(log.db, sqlitePrune);
}
