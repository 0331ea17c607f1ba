import { UsageError } from "../errors.js";

/**
 * SQLite refuses a LIKE or GLOB pattern longer than SQLITE_LIMIT_LIKE_PATTERN_LENGTH (50,000
 * bytes by default) with "LIKE or GLOB pattern too complex": an error from deep in a query.
 */
const sqlitePatternBytes = 50_000;

/** Event types are short dotted names; a longer glob is a paste gone wrong, well under SQLite's limit. */
export const maxGlobLength = 1000;

/** An event-type glob ready to bind to `GLOB`, or a one-line refusal when it is too long. */
export function eventGlob(glob: string): string {
  if (glob.length > maxGlobLength) {
    throw new UsageError(
      `the event-type glob is ${glob.length} characters long; at most ${maxGlobLength} are allowed`,
      "use a shorter pattern, e.g. 'order.*'",
    );
  }
  return glob;
}

/**
 * A case-insensitive "contains" test of `text` against each column, as SQL and its parameter.
 * LIKE (`%text%`, wildcards escaped) is the fast way; text too long for a LIKE pattern is
 * matched with instr() over lowercased columns instead, which has no limit and folds case the
 * same way (ASCII only).
 */
export function containsClause(columns: readonly string[], text: string): { sql: string; param: string } {
  const like = `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  if (Buffer.byteLength(like) <= sqlitePatternBytes) {
    return {
      sql: `(${columns.map((column) => `${column} LIKE @like ESCAPE '\\'`).join(" OR ")})`,
      param: like,
    };
  }
  const lowered = text.replace(/[A-Z]/g, (char) => char.toLowerCase());
  return {
    sql: `(${columns.map((column) => `instr(lower(${column}), @like) > 0`).join(" OR ")})`,
    param: lowered,
  };
}
