import type { BrowseCounts, BrowseQuery, DeliverySummary, Direction, MatchCount } from "../browse.js";
import { DeliveryBrowser } from "../browse.js";
import type { LogHandle } from "../log-handle.js";
import { PgDeliveryBrowser } from "../pg/browse.js";

/** An answer now (SQLite) or later (a network backend). */
export type Answer<T> = T | Promise<T>;

/**
 * The `inspect` list's reads, on either backend. Unlike the other ports (each function a
 * promise), SQLite's answers come back as plain values: the TUI then runs a keystroke's queries
 * in the same turn and draws one frame, as before PostgreSQL; PostgreSQL's come as promises.
 */
export interface BrowsePort {
  counts(): Answer<BrowseCounts>;
  countMatching(query: BrowseQuery, cap: number): Answer<MatchCount>;
  page(query: BrowseQuery, fromId: string | null, limit: number): Answer<DeliverySummary[]>;
  step(query: BrowseQuery, fromId: string, direction: Direction, n: number): Answer<string | undefined>;
  edge(query: BrowseQuery, which: "newest" | "oldest"): Answer<string | undefined>;
  find(query: BrowseQuery, id: string): Answer<DeliverySummary | undefined>;
  /**
   * A mark that changes when another writer commits to the log; equal marks mean nothing to
   * reload. SQLite: `PRAGMA data_version`; PostgreSQL: the transaction snapshot.
   */
  changeMark(): Answer<string | number>;
}

export function browserOf(log: LogHandle): BrowsePort {
  return log.backend === "sqlite" ? new DeliveryBrowser(log.db) : new PgDeliveryBrowser(log.pool);
}

/** Whether an answer is still to come. */
export function isPending<T>(answer: Answer<T>): answer is Promise<T> {
  return typeof (answer as { then?: unknown } | null)?.then === "function";
}
