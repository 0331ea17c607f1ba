import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { connectPg, withLibpqSslModes } from "../../../src/store/pg/connect.js";
import { migratePg, pgSchemaVersion } from "../../../src/store/pg/schema.js";
import { isPostgresUrl, maskDatabaseUrl, withoutPassword } from "../../../src/store/pg/url.js";
import { runBin } from "../../helpers/bin.js";
import { pgPassword, postgresForFile } from "../../helpers/pg.js";
import { tempDir } from "../../helpers/tmp.js";

const pg = postgresForFile();

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe("maskDatabaseUrl", () => {
  it("never shows a password, in the authority or a parameter", () => {
    expect(maskDatabaseUrl("postgres://app:s3cr%40t@db.internal:5432/hooks")).toBe(
      "postgres://app:***@db.internal:5432/hooks",
    );
    expect(maskDatabaseUrl("postgresql://app@db/hooks?password=hunter2&sslmode=require")).toBe(
      "postgresql://app@db/hooks?password=***&sslmode=require",
    );
    expect(maskDatabaseUrl("postgres://app@db/hooks")).toBe("postgres://app@db/hooks");
    expect(maskDatabaseUrl("postgres://app:pw@[::1")).toBe("postgres://…");
    expect(isPostgresUrl("postgres://x")).toBe(true);
    expect(isPostgresUrl("PostgreSQL://x")).toBe(true);
    expect(isPostgresUrl("/tmp/hookctl.db")).toBe(false);
  });

  it("withoutPassword leaves the password out of a URL to paste, and says whether there was one", () => {
    expect(withoutPassword("postgres://app:s3cr%40t@db.internal:5432/hooks")).toEqual({
      url: "postgres://app@db.internal:5432/hooks",
      removed: true,
    });
    expect(withoutPassword("postgresql://app@db/hooks?password=hunter2&sslmode=require")).toEqual({
      url: "postgresql://app@db/hooks?sslmode=require",
      removed: true,
    });
    expect(withoutPassword("postgres://app@db/hooks")).toEqual({
      url: "postgres://app@db/hooks",
      removed: false,
    });
    expect(withoutPassword("postgres://app:pw@[::1")).toEqual({ url: "postgres://…", removed: false });
  });
});

describe("connectPg", () => {
  it("refuses a wrong password in one line that names the log masked", async () => {
    const url = (await pg.database()).replace(`:${pgPassword}@`, ":Wr0ngPassw0rd@");
    const error = await connectPg(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    const text = `${(error as UsageError).message} ${(error as UsageError).hint}`;
    expect(text).toContain("postgres://postgres:***@127.0.0.1:");
    expect(text).not.toContain("Wr0ngPassw0rd");
    expect(text).not.toContain("\n");
  });

  it("reads sslmode as libpq does, without pg's multi-line warning: one line when the server has no TLS", async () => {
    expect(withLibpqSslModes("postgres://app@db/hooks")).toBe("postgres://app@db/hooks");
    expect(withLibpqSslModes("postgres://app@db/hooks?sslmode=require")).toBe(
      "postgres://app@db/hooks?sslmode=require&uselibpqcompat=true",
    );
    expect(withLibpqSslModes("postgres://app@db/h?sslmode=require&uselibpqcompat=false")).toBe(
      "postgres://app@db/h?sslmode=require&uselibpqcompat=false",
    );
    // pg's own no-verify, and the modes both read alike, are left as they are.
    for (const mode of ["no-verify", "disable", "verify-full"]) {
      expect(withLibpqSslModes(`postgres://app@db/h?sslmode=${mode}`)).toBe(
        `postgres://app@db/h?sslmode=${mode}`,
      );
    }
    // The test server speaks no TLS: require fails, as it does in psql, in one line.
    const url = `${await pg.database()}?sslmode=require`;
    const result = await runBin(["--db", url, "log"]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain("SECURITY WARNING");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^hookctl: cannot open the PostgreSQL log .*sslmode=require.*: .*SSL/);
    const plain = await runBin([
      "--db",
      `${await pg.database()}?sslmode=disable`,
      "endpoint",
      "add",
      "orders",
      "--url",
      "http://127.0.0.1:9/",
      "-q",
    ]);
    expect({ code: plain.code, stderr: plain.stderr }).toEqual({ code: 0, stderr: "" });
  });

  it("takes the password from PGPASSWORD when the URL has none", async () => {
    const url = (await pg.database()).replace(`:${pgPassword}@`, "@");
    const before = process.env.PGPASSWORD;
    process.env.PGPASSWORD = pgPassword;
    try {
      const pool = await connectPg(url);
      pg.defer(() => pool.end());
      const { rows } = await pool.query("SELECT 1 AS one");
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      restoreEnv("PGPASSWORD", before);
    }
  });

  it("takes the password from a pgpass file (PGPASSFILE, else ~/.pgpass) when the URL has none", async () => {
    const url = (await pg.database()).replace(`:${pgPassword}@`, "@");
    const file = join(tempDir(), "pgpass");
    writeFileSync(file, `127.0.0.1:${pg.server().port}:*:postgres:${pgPassword}\n`, { mode: 0o600 });
    const before = { file: process.env.PGPASSFILE, password: process.env.PGPASSWORD };
    process.env.PGPASSFILE = file;
    delete process.env.PGPASSWORD;
    try {
      const pool = await connectPg(url);
      pg.defer(() => pool.end());
      expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      restoreEnv("PGPASSFILE", before.file);
      restoreEnv("PGPASSWORD", before.password);
    }
  });

  it("rejects what is not a PostgreSQL URL", async () => {
    await expect(connectPg("mysql://root:pw@db/x")).rejects.toThrow(
      /not a PostgreSQL URL: mysql:\/\/root:\*\*\*@db\/x/,
    );
  });

  it("migrates once, however many processes start at the same moment", async () => {
    const url = await pg.database();
    const pools = await Promise.all([connectPg(url), connectPg(url), connectPg(url)]);
    for (const pool of pools) pg.defer(() => pool.end());
    const first = pools[0] as (typeof pools)[number];
    const { rows } = await first.query("SELECT version FROM schema_version ORDER BY version");
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: pgSchemaVersion }, (_, i) => i + 1));
    expect(await migratePg(first)).toBe(pgSchemaVersion);
    // bigint columns come back as numbers, as from SQLite.
    const { rows: now } = await first.query("SELECT 1700000000000::bigint AS t");
    expect(now).toEqual([{ t: 1_700_000_000_000 }]);
  });
});
