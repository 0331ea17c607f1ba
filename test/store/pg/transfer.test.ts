import { describe, expect, it } from "vitest";
import type { PgPool } from "../../../src/store/pg/connect.js";
import { tableSpec } from "../../../src/store/transfer/tables.js";
import { writeLog } from "../../../src/store/transfer/write.js";
import { postgresForFile } from "../../helpers/pg.js";

const pg = postgresForFile();

/** Connections of `pool` checked out and not handed back. */
const checkedOut = (pool: PgPool) => pool.totalCount - pool.idleCount;

describe("log import into PostgreSQL: connections", () => {
  it("a copy whose BEGIN fails (the connection dropped) hands its connection back", async () => {
    const { pool } = await pg.pool();
    const { pool: admin } = await pg.pool();
    const connect = pool.connect.bind(pool);
    // The server ends the connection between checkout and BEGIN, as a restart would.
    pool.connect = (async () => {
      const client = await connect();
      const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      await admin.query("SELECT pg_terminate_backend($1, 60000)", [rows[0]?.pid]);
      return client;
    }) as typeof pool.connect;
    async function* none() {}
    const target = { backend: "postgres" as const, pool, where: "the test log", close: async () => {} };
    await expect(writeLog(target, none())).rejects.toThrow();
    expect(checkedOut(pool)).toBe(0);
  });

  it("a copy refused half-way hands its connection back and leaves the log empty", async () => {
    const { pool } = await pg.pool();
    const target = { backend: "postgres" as const, pool, where: "the test log", close: async () => {} };
    async function* orphan() {
      // A delivery of an event the stream never had: the foreign key refuses it.
      yield {
        table: tableSpec("attempts"),
        rows: [
          {
            id: 1,
            delivery_id: "dlv_missing",
            number: 1,
            trigger: "initial",
            url: "http://127.0.0.1/",
            request_headers: "[]",
            started_at: 0,
            duration_ms: 1,
            status_code: null,
            response_headers: null,
            response_body: null,
            response_truncated: 0,
            error_class: null,
            error_message: null,
          },
        ],
      };
    }
    await expect(writeLog(target, orphan())).rejects.toThrow(/do not fit/);
    expect(checkedOut(pool)).toBe(0);
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM attempts");
    expect(rows[0]?.n).toBe(0);
  });
});
