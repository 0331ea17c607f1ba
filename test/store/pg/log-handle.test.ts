import { type AddressInfo, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HookctlError, UsageError } from "../../../src/errors.js";
import { type LogHandle, openLog } from "../../../src/store/log-handle.js";
import { openDb } from "../../../src/store/open.js";
import { pgSchemaVersion } from "../../../src/store/pg/schema.js";
import { storeFault } from "../../../src/store/write-errors.js";
import { pgPassword, postgresForFile } from "../../helpers/pg.js";
import { tempDir } from "../../helpers/tmp.js";

const pg = postgresForFile();

async function opened(log: Promise<LogHandle>): Promise<LogHandle> {
  const handle = await log;
  pg.defer(() => handle.close());
  return handle;
}

async function refusal(open: Promise<unknown>): Promise<UsageError> {
  const error = await open.then(
    (log) => {
      pg.defer(() => (log as LogHandle).close());
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return error as UsageError;
}

describe("openLog on PostgreSQL", () => {
  it("creates the schema for a writer and names the log with its password masked", async () => {
    const url = await pg.database();
    const log = await opened(openLog(url));
    expect(log.backend).toBe("postgres");
    expect(log.where).not.toContain(pgPassword);
    expect(log.where).toContain(":***@127.0.0.1:");
    if (log.backend !== "postgres") return;
    const { rows } = await log.pool.query<{ v: number }>("SELECT max(version) AS v FROM schema_version");
    expect(rows[0]?.v).toBe(pgSchemaVersion);
  });

  it("refuses a database hookctl never wrote to commands that read or change what is stored", async () => {
    const url = await pg.database();
    for (const options of [{ mustExist: true }, { readOnly: true }]) {
      const error = await refusal(openLog(url, options));
      expect(error.message).toMatch(/^no delivery log at postgres:\/\/postgres:\*\*\*@/);
      expect(`${error.message} ${error.hint}`).not.toContain(pgPassword);
    }
  });

  it("refuses a log written by a newer hookctl, naming both versions", async () => {
    const url = await pg.database();
    const first = await openLog(url);
    if (first.backend !== "postgres") throw new Error("not postgres");
    await first.pool.query("INSERT INTO schema_version (version) VALUES ($1)", [pgSchemaVersion + 1]);
    await first.close();
    const error = await refusal(openLog(url, { readOnly: true }));
    expect(error.message).toContain(`schema ${pgSchemaVersion + 1}, this one knows ${pgSchemaVersion}`);
  });

  it("gives up on a server that accepts the connection and never answers: one masked line", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    pg.defer(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as AddressInfo;
    const url = `postgres://app:${pgPassword}@127.0.0.1:${port}/hooks`;
    const error = await refusal(openLog(url, { connectTimeoutMs: 200 }));
    expect(error.message).toMatch(
      /^cannot open the PostgreSQL log postgres:\/\/app:\*\*\*@127\.0\.0\.1:\d+\/hooks: /,
    );
    expect(`${error.message} ${error.hint}`).not.toContain(pgPassword);
  });

  it("opens a file path as SQLite, unchanged", async () => {
    const path = join(tempDir(), "log.db");
    const log = await opened(openLog(path));
    expect(log).toMatchObject({ backend: "sqlite", where: path });
  });

  it("turns a lost connection into one line with exit 2", async () => {
    const log = await opened(openLog(await pg.database()));
    if (log.backend !== "postgres") throw new Error("not postgres");
    const client = await log.pool.connect();
    const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    await log.pool.query("SELECT pg_terminate_backend($1)", [pid]);
    const error = await client.query("SELECT 1").catch((e: unknown) => e);
    client.release(true);
    const fault = storeFault(error);
    expect(fault).toBeInstanceOf(HookctlError);
    expect(fault?.exitCode).toBe(2);
    expect(fault?.message).toBe("lost the connection to the PostgreSQL log");
  });
});

/** Columns of every table, by name, as "name:kind" with kinds both dialects can be mapped to. */
type Columns = Record<string, string[]>;

const sqliteKind: Record<string, string> = { TEXT: "text", INTEGER: "integer", REAL: "real", BLOB: "bytes" };
const pgKind: Record<string, string> = {
  text: "text",
  bigint: "integer",
  integer: "integer",
  "double precision": "real",
  bytea: "bytes",
};

describe("the two schemas", () => {
  it("have the same tables and columns (names, kinds, nullability), so one row shape serves both", async () => {
    const db = openDb(join(tempDir(), "log.db"));
    const sqlite: Columns = {};
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    expect(tables).toEqual(expect.arrayContaining(["deliveries", "received", "alerts", "relay_requests"]));
    for (const table of tables) {
      const info = db.prepare(`PRAGMA table_info(${table})`).all() as {
        name: string;
        type: string;
        notnull: number;
        pk: number;
      }[];
      sqlite[table] = info
        .map(
          (c) => `${c.name}:${sqliteKind[c.type] ?? c.type}:${c.notnull || c.pk ? "required" : "nullable"}`,
        )
        .sort();
    }
    db.close();

    const { pool } = await pg.pool();
    const { rows } = await pool.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = ANY($1::text[]) AND (table_name::text, column_name::text) <> ('received', 'arrival') -- PostgreSQL's stand-in for SQLite's rowid`,
      [tables],
    );
    const postgres: Columns = {};
    for (const row of rows) {
      const kind = pgKind[row.data_type] ?? row.data_type;
      const columns = postgres[row.table_name] ?? [];
      postgres[row.table_name] = columns;
      columns.push(`${row.column_name}:${kind}:${row.is_nullable === "NO" ? "required" : "nullable"}`);
    }
    for (const table of Object.keys(postgres)) postgres[table]?.sort();
    expect(postgres).toEqual(sqlite);
  });
});
