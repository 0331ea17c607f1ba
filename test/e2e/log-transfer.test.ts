import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { logTransferResult } from "../../src/contract/schema/log-transfer.js";
import { openLog } from "../../src/store/log-handle.js";
import { openDb } from "../../src/store/open.js";
import { decodeLog, encodeLog, linesOf } from "../../src/store/transfer/ndjson.js";
import { readLog } from "../../src/store/transfer/read.js";
import { writeLog } from "../../src/store/transfer/write.js";
import { runBin } from "../helpers/bin.js";
import { runCli } from "../helpers/context.js";
import { shaped } from "../helpers/contract.js";
import { arrivalOrder, pgTables, seededSecret, seedFullLog, sqliteTables } from "../helpers/full-log.js";
import { pgPassword, postgresForFile } from "../helpers/pg.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

const pg = postgresForFile();

/** A SQLite log with a row in every moved table. */
function fullLog(options: { inFlight?: boolean } = {}): string {
  const path = tempDb();
  const db = openDb(path);
  seedFullLog(db, options);
  db.close();
  return path;
}

function tablesOf(path: string) {
  const db = openDb(path, { readOnly: true });
  try {
    return sqliteTables(db);
  } finally {
    db.close();
  }
}

/** Nothing a command printed may hold the database password or a stored secret. */
function expectNoSecrets(...outputs: { stdout: string; stderr: string }[]): void {
  for (const output of outputs) {
    expect(`${output.stdout}${output.stderr}`).not.toContain(pgPassword);
    expect(`${output.stdout}${output.stderr}`).not.toContain(seededSecret);
  }
}

/** The exit code, with what the command printed on stderr when it is not the one expected. */
function expectExit(result: { code: number | null; stderr: string }, code: number): void {
  expect({ code: result.code, stderr: result.code === code ? "" : result.stderr }).toEqual({
    code,
    stderr: "",
  });
}

const rowCounts = {
  endpoints: 2,
  endpointSecrets: 3,
  events: 3,
  deliveries: 4,
  attempts: 3,
  received: 2,
  idempotencyKeys: 1,
  alertSinks: 1,
  alerts: 2,
  relayChannels: 1,
  relayRequests: 2,
  relayCursors: 1,
};

describe("hookctl log export / log import", () => {
  it("SQLite → PostgreSQL → SQLite keeps every row of every table, ids included", async () => {
    const source = fullLog();
    const { url, pool } = await pg.pool();
    const there = await runBin(["--db", source, "--json", "log", "export", "--to", url]);
    expectExit(there, 0);
    const result = shaped(logTransferResult, JSON.parse(there.stdout));
    expect(result).toEqual({
      from: source,
      to: url.replace(`:${pgPassword}@`, ":***@"),
      rows: rowCounts,
      total: 25,
      leasesReleased: 0,
    });
    const expected = tablesOf(source);
    const onPg = await pgTables(pool);
    for (const table of Object.keys(expected) as (keyof typeof expected)[]) {
      expect(onPg[table], table).toEqual(expected[table]);
    }
    // The identity sequences moved past the copied ids; the endpoint limits came with the endpoints.
    const secret = await pool.query(
      "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at) VALUES ('ep_b', 's', 1) RETURNING id",
    );
    expect(secret.rows[0].id).toBe(13);
    const attempt = await pool.query(
      `INSERT INTO attempts (delivery_id, number, trigger, url, request_headers, started_at, duration_ms)
       VALUES ('dlv_c', 1, 'initial', 'u', '{}', 1, 1) RETURNING id`,
    );
    expect(attempt.rows[0].id).toBe(9);
    await pool.query("DELETE FROM attempts WHERE id = 9; DELETE FROM endpoint_secrets WHERE id = 13");
    expect(await arrivalOrder(pool)).toEqual(["rcv_b", "rcv_a"]);
    const slots = await pool.query(
      "SELECT count(*)::int AS n FROM endpoint_slots WHERE endpoint_id = 'ep_a'",
    );
    expect(slots.rows[0].n).toBe(3);

    const back = join(tempDir(), "back.db");
    const home = await runBin(["--db", url, "log", "export", "--to", back]);
    expectExit(home, 0);
    expect(home.stderr).toContain("copied 25 rows (2 endpoints, 3 endpoint secrets, 3 events, 4 deliveries");
    expect(tablesOf(back)).toEqual(expected);
    const restored = openDb(back, { readOnly: true });
    expect(await arrivalOrder(restored)).toEqual(["rcv_b", "rcv_a"]);
    restored.close();
    expectNoSecrets(there, home);
  });

  it("an NDJSON export (file or stdout) imports into PostgreSQL and SQLite alike", async () => {
    const source = fullLog();
    const file = join(tempDir(), "log.ndjson");
    const written = await runBin(["--db", source, "log", "export", "--output", file]);
    expectExit(written, 0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(written.stderr).toContain("it holds endpoint secrets in full");
    const streamed = await runBin(["--db", source, "log", "export"]);
    expectExit(streamed, 0);
    const withoutHeader = (text: string) => text.split("\n").slice(1).join("\n");
    expect(withoutHeader(streamed.stdout)).toBe(withoutHeader(readFileSync(file, "utf8")));
    const lines = streamed.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ format: "hookctl-log", version: 1, source: "sqlite" });
    expect(lines.at(-1)).toEqual({ end: true, rows: 25 });
    expect(lines[1]).toMatchObject({ table: "endpoints", row: { id: "ep_a", ratePerSecond: 2.5 } });

    const { url, pool } = await pg.pool();
    const intoPg = await runBin(["--db", url, "--json", "log", "import", file]);
    expectExit(intoPg, 0);
    expect(shaped(logTransferResult, JSON.parse(intoPg.stdout)).rows).toEqual(rowCounts);
    const expected = tablesOf(source);
    expect(await pgTables(pool)).toEqual(expected);

    const restored = join(tempDir(), "restored.db");
    const fromStdin = await runBin(["--db", restored, "log", "import", "-"], { input: streamed.stdout });
    expectExit(fromStdin, 0);
    expect(fromStdin.stderr).toContain(`imported 25 rows`);
    expect(tablesOf(restored)).toEqual(expected);
    expectNoSecrets(written, intoPg, fromStdin);
  });

  it("in-flight deliveries come over pending and due, their leases dropped", async () => {
    const source = fullLog({ inFlight: true });
    const { url, pool } = await pg.pool();
    const before = Date.now();
    const copied = await runBin(["--db", source, "--json", "log", "export", "--to", url]);
    expectExit(copied, 0);
    expect(JSON.parse(copied.stdout).leasesReleased).toBe(1);
    const { rows } = await pool.query(
      "SELECT status, lease_token, lease_expires_at, next_attempt_at, updated_at FROM deliveries WHERE id = 'dlv_d'",
    );
    expect(rows[0]).toMatchObject({ status: "pending", lease_token: null, lease_expires_at: null });
    expect(rows[0].next_attempt_at).toBeLessThanOrEqual(Date.now());
    expect(rows[0].updated_at).toBeGreaterThanOrEqual(before);
  });

  it("refuses a target that holds rows (exit 2, saying why), changing nothing", async () => {
    const source = fullLog();
    const { url, pool } = await pg.pool();
    expectExit(await runBin(["--db", source, "log", "export", "--to", url]), 0);
    const again = await runBin(["--db", source, "log", "export", "--to", url]);
    expectExit(again, 2);
    expect(again.stderr).toMatch(
      /^hookctl: the log at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ is not empty \(2 endpoints, 3 endpoint secrets, 3 events, 4 deliveries, 3 attempts, 2 captured requests, 1 idempotency key, .*\); a copy goes only into an empty log — .*\n$/,
    );
    const file = join(tempDir(), "log.ndjson");
    expectExit(await runBin(["--db", source, "log", "export", "-o", file]), 0);
    const intoFull = await runBin(["--db", source, "log", "import", file]);
    expectExit(intoFull, 2);
    expect(intoFull.stderr).toContain(`the log at ${source} is not empty`);
    const count = await pool.query("SELECT count(*)::int AS n FROM deliveries");
    expect(count.rows[0].n).toBe(4);
    const exists = await runBin(["--db", source, "log", "export", "-o", file]);
    expectExit(exists, 2);
    expect(exists.stderr).toContain("already exists");
    expectNoSecrets(again, intoFull, exists);
  });

  it("a bad line is exit 2 naming it, and nothing is imported; so is a cut-off stream", async () => {
    const source = fullLog();
    const file = join(tempDir(), "log.ndjson");
    expectExit(await runBin(["--db", source, "log", "export", "-o", file]), 0);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    const broken = lines.map((line, i) =>
      i === 6 ? line.replace(/"createdAt":"[^"]+"/, '"createdAt":12') : line,
    );
    const bad = join(tempDir(), "bad.ndjson");
    writeFileSync(bad, `${broken.join("\n")}\n`);
    const { url, pool } = await pg.pool();
    const refused = await runBin(["--db", url, "log", "import", bad]);
    expectExit(refused, 2);
    expect(refused.stderr).toMatch(
      /^hookctl: line 7 \(events row\): createdAt: expected string, got number — /,
    );
    const counts = await pool.query(
      "SELECT (SELECT count(*) FROM endpoints)::int + (SELECT count(*) FROM events)::int AS n",
    );
    expect(counts.rows[0].n).toBe(0);

    // A row valid on its own whose parent is not there: the log's constraints refuse it, exit 2.
    const orphaned = join(tempDir(), "orphan.ndjson");
    writeFileSync(
      orphaned,
      `${lines.map((line) => line.replace('"eventId":"evt_1"', '"eventId":"evt_nope"')).join("\n")}\n`,
    );
    const unfit = await runBin(["--db", url, "log", "import", orphaned]);
    expectExit(unfit, 2);
    expect(unfit.stderr).toMatch(
      /^hookctl: lines 10–13 \(deliveries rows\) do not fit the log at postgres:\/\/postgres:\*\*\*@/,
    );
    expect(unfit.stderr).not.toContain(pgPassword);

    const target = join(tempDir(), "cut.db");
    const cut = await runBin(["--db", target, "log", "import", "-"], {
      input: `${lines.slice(0, -1).join("\n")}\n`,
    });
    expectExit(cut, 2);
    expect(cut.stderr).toContain("without the export's end line");
    // The log the import created goes again: nothing was imported, nothing is left behind.
    expect(existsSync(target)).toBe(false);

    const notExport = await runBin(["--db", target, "log", "import", "-"], { input: '{"id":"dlv_1"}\n' });
    expectExit(notExport, 2);
    expect(notExport.stderr).toContain("line 1 (not a hookctl log export)");
    expect(existsSync(target)).toBe(false);
    // The bad file into PostgreSQL now goes in whole once fixed: the refused import left no trace.
    expectExit(await runBin(["--db", url, "log", "import", file]), 0);
  });

  it("never writes the stream to a terminal", async () => {
    const source = fullLog();
    const result = await runCli(["--db", source, "log", "export"], { tty: true });
    expectExit(result, 2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("refusing to write the export to a terminal");
  });

  it("Ctrl-C during a copy leaves the target as empty as it was (exit 130)", async () => {
    const source = fullLog();
    const { url, pool } = await pg.pool();
    const stop = new AbortController();
    stop.abort("SIGINT");
    const result = await runCli(["--db", source, "log", "export", "--to", url], { signal: stop.signal });
    expectExit(result, 130);
    expect(result.stderr).toContain("nothing was copied");
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM endpoints");
    expect(rows[0].n).toBe(0);
    expectExit(await runBin(["--db", source, "log", "export", "--to", url]), 0);
  });

  it("pages through every table a row at a time, composite keys and arrival order included", async () => {
    const source = await openLog(fullLog());
    const { url, pool } = await pg.pool();
    const onPg = await openLog(url);
    const back = await openLog(join(tempDir(), "back.db"));
    const again = await openLog(join(tempDir(), "again.db"));
    pg.defer(() => Promise.all([source, onPg, back, again].map((log) => log.close())));
    const now = Date.now();
    await writeLog(onPg, readLog(source, { now, chunk: 1 }));
    await writeLog(back, readLog(onPg, { now, chunk: 1 }));
    // And through the stream, decoded a row per batch.
    const text: string[] = [];
    for await (const piece of encodeLog(readLog(back, { now, chunk: 2 }), { source: "sqlite", now }))
      text.push(piece);
    await writeLog(again, decodeLog(linesOf([text.join("")]), 1));
    if (source.backend !== "sqlite" || back.backend !== "sqlite" || again.backend !== "sqlite")
      throw new Error("sqlite");
    const expected = sqliteTables(source.db);
    expect(await pgTables(pool)).toEqual(expected);
    expect(sqliteTables(back.db)).toEqual(expected);
    expect(sqliteTables(again.db)).toEqual(expected);
    expect(await arrivalOrder(again.db)).toEqual(["rcv_b", "rcv_a"]);
  });
});
