import { describe, expect, it } from "vitest";
import { HookctlError } from "../../src/errors.js";
import { openDb } from "../../src/store/open.js";
import { storeFault } from "../../src/store/write-errors.js";
import { tempDb } from "../helpers/tmp.js";

describe("storeFault", () => {
  it("turns a log locked past the busy timeout into one line with what to do, exit 2", () => {
    const path = tempDb();
    const holder = openDb(path);
    const waiter = openDb(path, { busyTimeoutMs: 0 });
    holder.exec("BEGIN IMMEDIATE");
    let thrown: unknown;
    try {
      waiter.exec("BEGIN IMMEDIATE");
    } catch (error) {
      thrown = error;
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
      waiter.close();
    }
    const fault = storeFault(thrown);
    expect(fault).toBeInstanceOf(HookctlError);
    expect(fault).toMatchObject({
      exitCode: 2,
      message: "the delivery log stayed locked by another process",
    });
    expect(fault?.hint).toContain("nothing stored was lost");
  });

  it("matches code families (SQLITE_READONLY_DBMOVED) and leaves other errors alone", () => {
    expect(storeFault(Object.assign(new Error("x"), { code: "SQLITE_READONLY_DBMOVED" }))?.message).toBe(
      "the delivery log cannot be written",
    );
    expect(storeFault(Object.assign(new Error("x"), { code: "SQLITE_FULL" }))?.message).toContain("full");
    expect(storeFault(Object.assign(new Error("x"), { code: "SQLITE_CONSTRAINT_UNIQUE" }))).toBeUndefined();
    expect(storeFault(new Error("plain"))).toBeUndefined();
    expect(storeFault("a string")).toBeUndefined();
    expect(storeFault(null)).toBeUndefined();
  });
});
