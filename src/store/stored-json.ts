import type * as z from "zod/mini";
import { describeIssue } from "../contract/parse.js";
import { HookctlError } from "../errors.js";

/** A row whose stored JSON is not what hookctl wrote: named, so the user can find and fix it. */
export class DamagedRowError extends HookctlError {
  /** `deliveries dlv_… extra_headers: not valid JSON`: which row and column, and what is wrong. */
  readonly fault: string;

  constructor(where: string, fault: string) {
    super(`the delivery log has a damaged row: ${where}: ${fault}`, {
      exitCode: 2,
      hint: "inspect it with sqlite3, or requeue/purge it by id",
    });
    this.fault = `${where}: ${fault}`;
  }
}

/**
 * A JSON column read back and checked against what hookctl writes there. `where` names the row
 * and column (`deliveries dlv_… extra_headers`). The empty object and array, by far the most
 * common values, skip the parse.
 */
export function parseStoredJson<T extends z.ZodMiniType>(
  schema: T,
  text: unknown,
  where: string,
): z.infer<T> {
  let value: unknown;
  if (text === "{}") value = {};
  else if (text === "[]") value = [];
  else {
    if (typeof text !== "string") throw new DamagedRowError(where, `expected JSON text, got ${typeof text}`);
    try {
      value = JSON.parse(text);
    } catch {
      throw new DamagedRowError(where, "not valid JSON");
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new DamagedRowError(where, describeIssue(result.error, value));
  return result.data;
}
