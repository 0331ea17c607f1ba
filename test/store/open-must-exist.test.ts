import { closeSync, existsSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { schemaVersion } from "../../src/store/migrations.js";
import { openDb } from "../../src/store/open.js";
import { tempDir } from "../helpers/tmp.js";

describe("openDb with mustExist", () => {
  it("refuses a missing log, naming it, and creates neither the file nor its directories", () => {
    const dir = tempDir();
    const path = join(dir, "missing", "deeper", "hookctl.db");
    expect(() => openDb(path, { mustExist: true })).toThrow(UsageError);
    expect(() => openDb(path, { mustExist: true })).toThrow(`no delivery log at ${path}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("names a relative path as the absolute one it looked for", () => {
    expect(() => openDb("typo-that-does-not-exist.bd", { mustExist: true })).toThrow(
      `no delivery log at ${join(process.cwd(), "typo-that-does-not-exist.bd")}`,
    );
    expect(existsSync("typo-that-does-not-exist.bd")).toBe(false);
  });

  it("opens an existing log, and migrates an existing empty file (a log another process is creating)", () => {
    const dir = tempDir();
    const made = join(dir, "made.db");
    openDb(made).close();
    const existing = openDb(made, { mustExist: true });
    expect(existing.pragma("user_version", { simple: true })).toBe(schemaVersion);
    existing.close();

    const empty = join(dir, "empty.db");
    closeSync(openSync(empty, "w", 0o600));
    const migrated = openDb(empty, { mustExist: true });
    expect(migrated.pragma("user_version", { simple: true })).toBe(schemaVersion);
    migrated.close();
  });
});
