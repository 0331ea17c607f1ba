import { describe, expect, it } from "vitest";
import { HookctlError, InterruptedError, UsageError } from "../../src/errors.js";

// `inspect`'s UI is a separate bundle with its own copy of these classes; the error boundary
// must still recognise its errors (exit code and one-line message, not "unexpected error").
describe("HookctlError across bundle copies", () => {
  it("recognises an error from another copy of the class by its registered brand", () => {
    const fromOtherCopy = Object.assign(new Error("bad flag"), {
      [Symbol.for("hookctl.error")]: true,
      exitCode: 2,
    });
    expect(fromOtherCopy instanceof HookctlError).toBe(true);
    expect(new Error("plain") instanceof HookctlError).toBe(false);
    expect(Object.create(null) instanceof HookctlError).toBe(false);
  });

  it("subclasses keep their own prototype checks", () => {
    expect(new UsageError("x") instanceof HookctlError).toBe(true);
    expect(new UsageError("x") instanceof UsageError).toBe(true);
    expect(new InterruptedError() instanceof UsageError).toBe(false);
    expect(new UsageError("x") instanceof InterruptedError).toBe(false);
  });
});
