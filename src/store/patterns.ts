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

/**
 * An event-type glob as SQLite's GLOB reads it, as an anchored PostgreSQL regular expression
 * (for `~`, case-sensitive as GLOB is): `*` any run, `?` one character, `[…]` a class (`[^…]`
 * negated, a leading `]` literal, `a-z` ranges); everything else literal. A `[` never closed
 * matches nothing in SQLite, so it gives null (the caller writes FALSE).
 */
export function globRegex(glob: string): string | null {
  const checked = eventGlob(glob);
  let out = "^";
  for (let i = 0; i < checked.length; i++) {
    const char = checked[i] as string;
    if (char === "*") out += ".*";
    else if (char === "?") out += ".";
    else if (char === "[") {
      let j = i + 1;
      let negate = false;
      if (checked[j] === "^") {
        negate = true;
        j++;
      }
      let body = "";
      if (checked[j] === "]") {
        body += "\\]";
        j++;
      }
      while (j < checked.length && checked[j] !== "]") {
        const c = checked[j] as string;
        // Inside a bracket expression of an ARE a backslash escapes, and `[` may start `[:`.
        body += c === "\\" || c === "[" ? `\\${c}` : c;
        j++;
      }
      if (j >= checked.length) return null;
      out += `[${negate ? "^" : ""}${body}]`;
      i = j;
    } else out += char.replace(/[\\^$.|?*+()[\]{}]/g, (c) => `\\${c}`);
  }
  return `${out}$`;
}

/**
 * `containsClause` for PostgreSQL, over positional parameter `param`, with SQLite's meaning
 * exactly: LIKE there folds ASCII letters only, so both sides are folded that way (translate,
 * not lower(), which would fold other letters too) and matched with strpos, which has no
 * pattern syntax to escape.
 */
export function pgContainsClause(
  columns: readonly string[],
  text: string,
  param: string,
): { sql: string; value: string } {
  const fold = (column: string) => `translate(${column}, '${upperAscii}', '${upperAscii.toLowerCase()}')`;
  return {
    sql: `(${columns.map((column) => `strpos(${fold(column)}, ${param}) > 0`).join(" OR ")})`,
    value: text.replace(/[A-Z]/g, (char) => char.toLowerCase()),
  };
}

const upperAscii = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
