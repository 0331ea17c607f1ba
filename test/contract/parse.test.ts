import { describe, expect, it } from "vitest";
import { parseInput } from "../../src/contract/parse.js";
import { headersInput } from "../../src/contract/schema/headers.js";
import { ExitCode, UsageError } from "../../src/errors.js";

function fault(value: unknown): string {
  try {
    parseInput(headersInput, value, "--headers-file h.json");
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.usage);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("parseInput", () => {
  it("names the field and what was wrong, in one line", () => {
    expect(fault({ "X-Signature": {} })).toBe(
      "--headers-file h.json: X-Signature: expected string or number or array, got object",
    );
    expect(fault([{ name: "a", value: 3 }])).toBe(
      "--headers-file h.json: [0].value: expected string, got number",
    );
    expect(fault([{ value: "x" }])).toBe("--headers-file h.json: [0].name: required (string)");
    expect(fault("text")).toBe("--headers-file h.json: expected array or object, got string");
    expect(fault({ a: ["x", 1] })).toBe("--headers-file h.json: a[1]: expected string, got number");
  });

  it("returns the parsed value when it fits", () => {
    expect(parseInput(headersInput, { a: "1", b: 2 }, "x")).toEqual({ a: "1", b: 2 });
  });
});
