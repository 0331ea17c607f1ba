import { expect } from "vitest";
import type * as z from "zod/mini";

/**
 * `value` checked against a published contract schema and typed by it. zod drops keys a schema
 * does not name, so a parse that differs from the value means a field beyond the contract.
 */
export function shaped<T extends z.ZodMiniType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.parse(value);
  expect(parsed).toEqual(value);
  return parsed;
}

/** One JSON value per line of `stdout`, each checked against `schema`. */
export function shapedLines<T extends z.ZodMiniType>(schema: T, stdout: string): z.infer<T>[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => shaped(schema, JSON.parse(line)));
}

/** The value of the first header named exactly `name` (as written on the wire) in a header list. */
export function headerValue(
  headers: readonly { name: string; value: string }[],
  name: string,
): string | undefined {
  return headers.find((header) => header.name === name)?.value;
}
