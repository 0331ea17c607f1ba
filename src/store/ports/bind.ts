import type { Db } from "../open.js";

/** Store functions of one area as SQLite has them: each takes the open log first. */
// biome-ignore lint/suspicious/noExplicitAny: any argument list; Port<> keeps each one's types
type SqliteQueries = Record<string, (db: Db, ...args: any[]) => unknown>;

/**
 * An area's store port: its SQLite functions without the `db` argument, each returning a
 * promise (a network backend cannot answer in the same turn). A PostgreSQL implementation
 * implements the same type, so a command is written once for both backends.
 */
export type Port<T extends SqliteQueries> = {
  [K in keyof T]: T[K] extends (db: Db, ...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/**
 * The SQLite side of a port: each function bound to `db`. Calls still run synchronously inside
 * the returned promise's executor, so a caller that awaits gets SQLite's transactions unchanged.
 */
export function bindSqlite<T extends SqliteQueries>(db: Db, queries: T): Port<T> {
  const bound: Record<string, unknown> = {};
  for (const [name, query] of Object.entries(queries)) {
    bound[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve(query(db, ...args));
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }
  return bound as Port<T>;
}
