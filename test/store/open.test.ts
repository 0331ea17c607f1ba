import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { schemaVersion } from "../../src/store/migrations.js";
import { openDb } from "../../src/store/open.js";
import { tempDir } from "../helpers/tmp.js";

describe("openDb", () => {
  it("creates parent directories and a 0600 file, migrated to the current schema", () => {
    const path = join(tempDir(), "nested", "state", "hookctl.db");
    const db = openDb(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(db.pragma("user_version", { simple: true })).toBe(schemaVersion);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual([
      "alert_sinks",
      "alerts",
      "attempts",
      "deliveries",
      "endpoint_secrets",
      "endpoints",
      "events",
      "idempotency_keys",
      "received",
      "relay_channels",
      "relay_cursors",
      "relay_listeners",
      "relay_requests",
    ]);
    db.close();
  });

  it("is idempotent: reopening leaves the schema as it is", () => {
    const path = join(tempDir(), "hookctl.db");
    openDb(path).close();
    const db = openDb(path);
    expect(db.pragma("user_version", { simple: true })).toBe(schemaVersion);
    db.close();
  });

  it("refuses, without altering, a log written by a newer hookctl", () => {
    const path = join(tempDir(), "hookctl.db");
    const raw = new Database(path);
    raw.pragma(`user_version = ${schemaVersion + 5}`);
    raw.exec("CREATE TABLE future (x)");
    raw.close();
    expect(() => openDb(path)).toThrow(UsageError);
    expect(() => openDb(path)).toThrow(/newer hookctl/);
    const after = new Database(path);
    expect(after.pragma("user_version", { simple: true })).toBe(schemaVersion + 5);
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type='table'").pluck().all()).toEqual([
      "future",
    ]);
    after.close();
  });

  it.runIf(existsSync("/proc/self"))("fails fast (no hang) for a path under /proc", () => {
    expect(() => openDb("/proc/hookctl-nope/x.db")).toThrow(/cannot create the delivery log/);
  });

  it("says where when the log path cannot be created", () => {
    const blocker = join(tempDir(), "file");
    openDb(blocker).close();
    expect(() => openDb(join(blocker, "sub", "hookctl.db"))).toThrow(/cannot create the delivery log/);
  });
});
