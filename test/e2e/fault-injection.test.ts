import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDb } from "../../src/store/open.js";
import { runBin } from "../helpers/bin.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDir } from "../helpers/tmp.js";

/**
 * The delivery log under faults, through the built binary: files that are not (or no longer)
 * hookctl logs, permissions, read-only copies and a full disk. Each is one line on stderr,
 * exit 2, naming the file; the file is left as it was.
 */
const isRoot = process.getuid?.() === 0;

function digest(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function goodLog(dir: string, deliveries = 1): string {
  const path = join(dir, "hookctl.db");
  const db = openDb(path);
  seedDeliveries(db, { url: "http://127.0.0.1:9/", now: Date.now(), count: deliveries });
  db.close();
  return path;
}

async function refusedUnchanged(path: string, argv: string[] = ["log"]): Promise<string> {
  const before = existsSync(path) && statSync(path).isFile() ? digest(path) : undefined;
  const mode = existsSync(path) ? statSync(path).mode : undefined;
  const run = await runBin(["--db", path, ...argv]);
  expect(run.code, run.stderr).toBe(2);
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(run.stderr).not.toMatch(/this is a bug|at .*\.js:\d+/);
  if (before !== undefined) expect(digest(path)).toBe(before);
  if (mode !== undefined) expect(statSync(path).mode).toBe(mode);
  return lines[0] as string;
}

describe("files that are not a usable hookctl log", () => {
  it("text, random bytes, a truncated log: not a database or damaged", async () => {
    const dir = tempDir();
    const text = join(dir, "notes.db");
    writeFileSync(text, "hello, this is not SQLite\n");
    expect(await refusedUnchanged(text)).toMatch(
      /notes\.db is not a hookctl delivery log \(not an SQLite database\)/,
    );
    const random = join(dir, "random.db");
    writeFileSync(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    expect(await refusedUnchanged(random)).toMatch(/random\.db is not a hookctl delivery log/);

    const truncated = goodLog(tempDir(), 50);
    const bytes = readFileSync(truncated);
    writeFileSync(truncated, bytes.subarray(0, 8192));
    expect(await refusedUnchanged(truncated)).toMatch(
      /hookctl\.db is damaged: SQLite reports database disk image is malformed/,
    );
  });

  it("a device, a directory, a FIFO", async () => {
    expect(await refusedUnchanged("/dev/null")).toBe(
      "hookctl: /dev/null is a device, not a delivery log — pass --db <path> to a log file",
    );
    const dir = tempDir();
    expect(await refusedUnchanged(dir)).toMatch(/is a directory, not a delivery log/);
    const fifo = join(dir, "pipe.db");
    execFileSync("mkfifo", [fifo]);
    expect(await refusedUnchanged(fifo)).toMatch(/pipe\.db is a FIFO, not a delivery log/);
  });

  it("a tampered schema version, and another program's SQLite database", async () => {
    const dir = tempDir();
    const zeroed = goodLog(dir);
    const handle = new Database(zeroed);
    handle.pragma("user_version = 0");
    handle.close();
    expect(await refusedUnchanged(zeroed)).toMatch(
      /is damaged: it says schema 0 but already has hookctl's events table/,
    );

    const newer = join(tempDir(), "newer.db");
    const other = new Database(newer);
    other.pragma("user_version = 99");
    other.close();
    expect(await refusedUnchanged(newer)).toMatch(/written by a newer hookctl \(schema 99/);

    const foreign = join(tempDir(), "app.sqlite");
    const app = new Database(foreign);
    app.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)");
    app.close();
    chmodSync(foreign, 0o644);
    // A write command too: nothing of hookctl's is added to someone else's database.
    expect(await refusedUnchanged(foreign, ["endpoint", "add", "a", "--url", "http://127.0.0.1:9/"])).toMatch(
      /app\.sqlite is an SQLite database but not a hookctl delivery log \(it has table users\)/,
    );
    const check = new Database(foreign, { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master").pluck().all()).toEqual(["users"]);
    check.close();
  });

  it("corrupted pages met while a command reads them: one line, exit 2, not a bug report", async () => {
    const path = goodLog(tempDir(), 2000);
    const bytes = readFileSync(path);
    // Garble the middle third of the file: nearly all of it is the deliveries' pages and indexes.
    bytes.fill(0x5a, Math.floor(bytes.length / 3), Math.floor((bytes.length * 2) / 3));
    writeFileSync(path, bytes);
    const line = await refusedUnchanged(path, ["log", "--limit", "5000"]);
    expect(line).toMatch(/damaged|malformed|corrupt/i);
  });
});

describe("commands that only read change nothing", () => {
  it("a log an older hookctl wrote (schema 1) is read as it is, not migrated", async () => {
    const path = goodLog(tempDir(), 2);
    const older = new Database(path);
    for (const table of ["deliveries", "endpoints"]) {
      older.exec(`ALTER TABLE ${table} DROP COLUMN tls_insecure; ALTER TABLE ${table} DROP COLUMN tls_ca`);
    }
    older.pragma("user_version = 1");
    older.close();
    const before = digest(path);
    for (const argv of [
      ["log", "--json"],
      ["dlq", "list"],
      ["endpoint", "list"],
      ["log", "received"],
    ]) {
      const run = await runBin(["--db", path, ...argv]);
      expect(run.code, argv.join(" ")).toBe(0);
    }
    expect(digest(path)).toBe(before);
    const check = new Database(path, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(1);
    check.close();
  });
});

describe("permissions", () => {
  it("an existing log readable by others is made private before secrets go in", async () => {
    const dir = tempDir();
    const path = goodLog(dir);
    chmodSync(path, 0o644);
    const run = await runBin([
      "--db",
      path,
      "endpoint",
      "add",
      "a",
      "--url",
      "http://127.0.0.1:9/",
      "--secret",
      "s3cret",
    ]);
    expect(run.code).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    for (const side of [`${path}-wal`, `${path}-shm`]) {
      if (existsSync(side)) expect(statSync(side).mode & 0o077).toBe(0);
    }
  });

  it("a read-only log (read-only file in a read-only directory) still serves the commands that read", async () => {
    const dir = tempDir();
    const logDir = join(dir, "shared");
    mkdirSync(logDir);
    // Root ignores file modes: as root (CI) the log sits on a tmpfs remounted read-only, which
    // binds root too; anyone else gets a read-only file in a read-only directory.
    if (isRoot) execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", logDir]);
    try {
      const path = goodLog(logDir, 3);
      if (isRoot) execFileSync("mount", ["-o", "remount,ro", logDir]);
      else {
        chmodSync(path, 0o400);
        chmodSync(logDir, 0o555);
      }
      const before = digest(path);
      const list = await runBin(["--db", path, "log", "--json"]);
      expect(list.stderr).toBe("");
      expect(list.code).toBe(0);
      expect(list.stdout.trim().split("\n")).toHaveLength(3);
      const write = await runBin(["--db", path, "endpoint", "add", "a", "--url", "http://127.0.0.1:9/"]);
      expect(write.code).toBe(2);
      expect(write.stderr).toMatch(/cannot be written|cannot create/);
      expect(write.stderr).not.toMatch(/this is a bug/);
      expect(digest(path)).toBe(before);
    } finally {
      if (isRoot) execFileSync("umount", [logDir]);
      else chmodSync(logDir, 0o755);
    }
  });
});

describe.runIf(isRoot)("a full disk (a 256 KiB tmpfs)", () => {
  it("creating a log on a full disk is one line and exit 2, not a bug report", async () => {
    const mount = tempDir();
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mount]);
    try {
      writeFileSync(join(mount, "filler"), Buffer.alloc(256 * 1024 - 4096));
      const fresh = await runBin([
        "--db",
        join(mount, "new.db"),
        "endpoint",
        "add",
        "a",
        "--url",
        "http://127.0.0.1:9/",
      ]);
      expect(fresh.code).toBe(2);
      expect(fresh.stderr.trim().split("\n")).toHaveLength(1);
      expect(fresh.stderr).toMatch(/full|No space|ENOSPC|disk/i);
      expect(fresh.stderr).not.toMatch(/this is a bug/);
    } finally {
      execFileSync("umount", [mount]);
    }
  });
});
