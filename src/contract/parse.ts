import type * as z from "zod/mini";
import { UsageError } from "../errors.js";

type Issue = z.core.$ZodIssue;
type Key = PropertyKey;

/** `null`, `array`, `object`, `string`…: what a JSON value is, in the words a user knows. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** zod's names for kinds, in JSON's words. */
const expectedWord = (expected: string) =>
  expected === "record"
    ? "object"
    : expected === "int"
      ? "integer"
      : expected === "tuple"
        ? "array"
        : expected;

function valueAt(root: unknown, path: readonly Key[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<Key, unknown>)[key];
  }
  return value;
}

function pathText(path: readonly Key[]): string {
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join("");
}

/**
 * Of a union's failed branches, the one that got furthest into the value: `[{"name": "a",
 * "value": 3}]` against "a header list or an object" is about `[0].value`, not "not an object".
 */
function deepestBranch(issue: Issue & { errors: Issue[][] }): { issue: Issue; path: Key[] } | undefined {
  let best: { issue: Issue; path: Key[] } | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (!first) continue;
    // A branch's paths are relative to the union; a nested union's to that union.
    const nested = first.code === "invalid_union" ? deepestBranch(first as typeof issue) : undefined;
    const candidate =
      nested && nested.path.length > 0
        ? { issue: nested.issue, path: [...first.path, ...nested.path] }
        : { issue: first, path: [...first.path] };
    if (!best || candidate.path.length > best.path.length) best = candidate;
  }
  return best;
}

function message(issue: Issue, input: unknown, path: readonly Key[]): string {
  const actual = valueAt(input, path);
  switch (issue.code) {
    case "invalid_type":
      return actual === undefined
        ? `required (${expectedWord(issue.expected)})`
        : `expected ${expectedWord(issue.expected)}, got ${kindOf(actual)}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "unrecognized_keys":
      return `unknown field${issue.keys.length === 1 ? "" : "s"} ${issue.keys.join(", ")}`;
    case "too_small":
      return `must be at least ${String(issue.minimum)}${issue.origin === "string" ? " characters" : ""}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}${issue.origin === "string" ? " characters" : ""}`;
    case "invalid_format":
      return `not a valid ${issue.format}`;
    case "invalid_union":
      return `expected ${kindsExpected(issue)}, got ${kindOf(actual)}`;
    default:
      return issue.message && issue.message !== "Invalid input" ? issue.message : "invalid";
  }
}

function kindsExpected(issue: Issue & { errors: Issue[][] }): string {
  const kinds = issue.errors.flatMap((branch) =>
    branch[0]?.code === "invalid_type" && branch[0].path.length === 0
      ? [expectedWord(branch[0].expected)]
      : [],
  );
  return kinds.length > 0 ? [...new Set(kinds)].join(" or ") : "another form";
}

/**
 * The first problem zod found, as one line: `headers[2].value: expected string, got object`.
 * Only the first: a bad input gets one line, and fixing it usually shows the next.
 */
export function describeIssue(error: z.core.$ZodError, input: unknown): string {
  let issue = error.issues[0];
  if (!issue) return "invalid input";
  let path: Key[] = [...issue.path];
  if (issue.code === "invalid_union") {
    const deepest = deepestBranch(issue);
    // A branch that failed on the value's own kind says nothing the union's message does not.
    if (deepest && deepest.path.length > 0) {
      issue = deepest.issue;
      path = [...path, ...deepest.path];
    }
  }
  const where = pathText(path);
  const text = message(issue, input, path);
  return where ? `${where}: ${text}` : text;
}

/** `value` checked against `schema`, or a UsageError (exit 2) naming `source`, the field and the fault. */
export function parseInput<T extends z.ZodMiniType>(
  schema: T,
  value: unknown,
  source: string,
  hint?: string,
): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(`${source}: ${describeIssue(result.error, value)}`, hint);
}
