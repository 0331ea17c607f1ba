import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { openDb } from "../../src/store/open.js";
import { type BinResult, runBin } from "../helpers/bin.js";
import { maskedJson } from "../helpers/masked-json.js";
import { postgresForFile } from "../helpers/pg.js";
import { okReceiver, type Receiver, startReceiver, statusReceiver } from "../helpers/receivers.js";
import { tempDb } from "../helpers/tmp.js";

const server = postgresForFile();
const secret = "whsec_c2VjcmV0LXZhbHVlLWZvci10ZXN0cy0xMjM0NTY=";
const nextSecret = "whsec_bmV4dC1zZWNyZXQtdmFsdWUtZm9yLXRlc3RzLTk=";
/** The password of the role the PostgreSQL runs log in as: it must never be printed. */
const password = "Pg-e2e-Passw0rd-7f3a";

const receivers: Receiver[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
});

/** A fresh database owned by a role of its own, whose password is in the URL. */
async function pgLog(): Promise<string> {
  const adminUrl = await server.database();
  const name = new URL(adminUrl).pathname.slice(1);
  const role = `${name}_owner`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await admin.query(`ALTER DATABASE ${name} OWNER TO ${role}`);
    await admin.query(`ALTER SCHEMA public OWNER TO ${role}`);
  } finally {
    await admin.end();
  }
  return `postgres://${role}:${password}@127.0.0.1:${server.server().port}/${name}`;
}

/** Rows of `sql` on either log, read beside the binary. */
async function query(db: string, sql: string): Promise<Record<string, unknown>[]> {
  if (db.startsWith("postgres://")) {
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }
  const handle = openDb(db);
  try {
    const statement = handle.prepare(sql);
    if (statement.reader) return statement.all() as Record<string, unknown>[];
    statement.run();
    return [];
  } finally {
    handle.close();
  }
}

interface Step {
  args: string;
  code: number | null;
  /** stdout's JSON lines, with what differs between runs masked. */
  json: unknown[];
  stderr: string;
}

/** A run of the binary on `db`: every line printed is checked for the password on the way. */
async function hookctl(db: string, args: string[], input?: string): Promise<BinResult> {
  const result = await runBin(["--db", db, ...args], { input });
  expect(result.stdout).not.toContain(password);
  expect(result.stderr).not.toContain(password);
  return result;
}

function jsonLines(stdout: string): unknown[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

/**
 * The whole endpoint life on one log: add, list, show, set, rotate, send to a loopback receiver
 * (and to a failing one, left waiting), rm refused, rm --force with an alert queued.
 */
async function scenario(db: string): Promise<{ steps: Step[]; deliveryIds: string[]; ok: Receiver }> {
  const ok = await okReceiver();
  const failing = await statusReceiver(503);
  receivers.push(ok, failing);
  const steps: Step[] = [];
  const deliveryIds: string[] = [];
  const step = async (args: string[]): Promise<BinResult> => {
    const result = await hookctl(db, args);
    steps.push({
      args: maskedJson(args.join(" ")) as string,
      code: result.code,
      json: maskedJson(jsonLines(result.stdout)) as unknown[],
      // Timings in the summary lines.
      stderr: (maskedJson(result.stderr) as string).replace(/\d+(\.\d+)?(ms|\/s)\b/g, "<n>$2"),
    });
    return result;
  };
  await step([
    "--json",
    "endpoint",
    "add",
    "orders",
    "--url",
    ok.url,
    "--secret",
    secret,
    "--scheme",
    "standard",
    "--rate",
    "50/s",
    "--concurrency",
    "2",
    "--timeout",
    "3s",
    "--retries",
    "4",
    "--events",
    "order.*",
  ]);
  await step(["--json", "endpoint", "add", "flaky", "--url", failing.url, "--generate-secret"]);
  await step(["--json", "endpoint", "add", "orders", "--url", ok.url]);
  await step(["--json", "endpoint", "list"]);
  await step(["--json", "endpoint", "set", "orders", "--events", "order.*,invoice.paid"]);
  await step(["--json", "endpoint", "rotate-secret", "orders", "--secret", nextSecret, "--grace", "1h"]);
  await step(["--json", "endpoint", "show", "orders"]);
  const sent = await step(["--json", "send", "orders", "--fixture", "order.created", "--count", "2"]);
  for (const line of jsonLines(sent.stdout)) deliveryIds.push((line as { id: string }).id);
  await step(["--json", "send", "flaky", "--fixture", "ping"]);
  await step(["--json", "endpoint", "show", "flaky"]);
  await query(db, `INSERT INTO alert_sinks (name, created_at) VALUES ('ops', 0)`);
  await step(["--json", "endpoint", "rm", "flaky", "--yes"]);
  await step(["--json", "endpoint", "rm", "flaky", "--yes", "--force"]);
  await step(["--json", "endpoint", "show", "flaky"]);
  await step(["--json", "endpoint", "list"]);
  return { steps, deliveryIds, ok };
}

describe("endpoint and send on a PostgreSQL log (built binary)", () => {
  it("print the same JSON as on a SQLite file, and write the same rows", async () => {
    const url = await pgLog();
    const file = tempDb();
    const onPg = await scenario(url);
    const onSqlite = await scenario(file);
    expect(onPg.steps).toEqual(onSqlite.steps);

    // What the steps did, judged once (the two runs are equal).
    const codes = onPg.steps.map((s) => `${s.code} ${s.args.split(" --")[0]}`);
    expect(codes).toEqual([
      "0 --json endpoint add orders",
      "0 --json endpoint add flaky",
      "2 --json endpoint add orders",
      "0 --json endpoint list",
      "0 --json endpoint set orders",
      "0 --json endpoint rotate-secret orders",
      "0 --json endpoint show orders",
      "0 --json send orders",
      "1 --json send flaky",
      "0 --json endpoint show flaky",
      "2 --json endpoint rm flaky",
      "0 --json endpoint rm flaky",
      "2 --json endpoint show flaky",
      "0 --json endpoint list",
    ]);

    for (const { db, run } of [
      { db: url, run: onPg },
      { db: file, run: onSqlite },
    ]) {
      // Each delivery went out under its own id, signed with the new primary secret and the retiring one.
      expect(run.deliveryIds).toHaveLength(2);
      const sentIds = run.ok.requests.map((r) => r.headers["x-webhook-delivery-id"]);
      expect(sentIds.sort()).toEqual([...run.deliveryIds].sort());
      for (const request of run.ok.requests) {
        expect(request.headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
      }
      const rows = await query(
        db,
        `SELECT d.id, d.status, d.attempt_count, a.status_code, e.type
         FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN attempts a ON a.delivery_id = d.id
         ORDER BY d.id`,
      );
      expect(rows).toHaveLength(3);
      expect(rows.filter((r) => run.deliveryIds.includes(r.id as string))).toEqual(
        [...run.deliveryIds].sort().map((id) => ({
          id,
          status: "succeeded",
          attempt_count: 1,
          status_code: 200,
          type: "order.created",
        })),
      );
      // The failing endpoint's delivery became dead with it, and its alert was queued.
      const [flaky] = rows.filter((r) => !run.deliveryIds.includes(r.id as string));
      expect(flaky).toMatchObject({ status: "dead", attempt_count: 1, status_code: 503 });
      const flakyId = String(flaky?.id);
      expect(await query(db, "SELECT id, sink, delivery_id, status FROM alerts")).toEqual([
        { id: `alr_${flakyId.slice(4)}_1`, sink: "ops", delivery_id: flakyId, status: "pending" },
      ]);
    }

    // The JSON itself, on the points the contract fixes.
    const [added, generated, duplicate] = onPg.steps;
    expect(added?.json).toEqual([
      expect.objectContaining({ name: "orders", scheme: "standard", ratePerSecond: 50, concurrency: 2 }),
    ]);
    const printed = JSON.stringify(onPg.steps.map((s) => [s.json, s.stderr]));
    expect(printed).not.toContain(secret);
    expect(printed).not.toContain(nextSecret);
    expect(generated?.json[0]).toMatchObject({ generatedSecret: expect.stringMatching(/^whsec_/) });
    // With --json an error is one JSON line on stderr.
    expect(JSON.parse(duplicate?.stderr ?? "")).toEqual({
      error: {
        message: "endpoint orders already exists",
        hint: "remove it first with hookctl endpoint rm orders",
        exitCode: 2,
      },
    });
    expect(JSON.parse(onPg.steps[10]?.stderr ?? "")).toMatchObject({
      error: { message: "endpoint flaky has 1 deliveries still waiting", exitCode: 2 },
    });
    expect(onPg.steps[11]?.json).toEqual([{ name: "flaky", removed: true, abandoned: 1 }]);
  });

  it("never prints the URL's password: an unknown endpoint, a wrong password, a missing database", async () => {
    const url = await pgLog();
    expect((await hookctl(url, ["endpoint", "add", "orders", "--url", "http://127.0.0.1:9/hook"])).code).toBe(
      0,
    );

    const unknown = await hookctl(url, ["endpoint", "show", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe(
      'hookctl: unknown endpoint "nope" — known endpoints: orders; or give an http(s) URL\n',
    );
    const unknownSend = await hookctl(url, ["send", "nope"]);
    expect(unknownSend.code).toBe(2);
    expect(unknownSend.stderr.split("\n")).toHaveLength(2);

    const wrong = new URL(url);
    wrong.password = "not-the-password";
    for (const args of [
      ["endpoint", "list"],
      ["send", "orders"],
      ["endpoint", "rm", "orders", "--yes"],
    ]) {
      const refused = await runBin(["--db", wrong.href, ...args]);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe("");
      expect(refused.stderr).toMatch(
        /^hookctl: cannot open the PostgreSQL log postgres:\/\/\w+:\*\*\*@\S+: password authentication failed .* — .*\n$/,
      );
      expect(refused.stderr).not.toContain("not-the-password");
      expect(refused.stderr).not.toContain(password);
    }

    const missing = new URL(url);
    missing.pathname = "/no_such_database";
    const absent = await hookctl(missing.href, ["endpoint", "list"]);
    expect(absent.code).toBe(2);
    expect(absent.stderr.split("\n")).toHaveLength(2);
  });

  it("send --wait retries on the PostgreSQL log until delivered", async () => {
    const url = await pgLog();
    const seen = new Map<string, number>();
    const flaky = await startReceiver((request) => {
      const id = String(request.headers["x-webhook-delivery-id"]);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return { status: seen.get(id) === 1 ? 503 : 200 };
    });
    receivers.push(flaky);
    const sent = await hookctl(url, [
      "send",
      flaky.url,
      "--count",
      "2",
      "--wait",
      "--initial",
      "20ms",
      "--jitter",
      "0",
    ]);
    expect(sent.code).toBe(0);
    expect(sent.stderr).toMatch(/2 succeeded/);
    const rows = await query(
      url,
      "SELECT d.status, array_agg(a.status_code ORDER BY a.number) AS codes FROM deliveries d JOIN attempts a ON a.delivery_id = d.id GROUP BY d.id",
    );
    expect(rows).toEqual([
      { status: "succeeded", codes: [503, 200] },
      { status: "succeeded", codes: [503, 200] },
    ]);
  });
});
