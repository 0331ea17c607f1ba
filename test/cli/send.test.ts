import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sendResult } from "../../src/contract/schema/delivery.js";
import { fixture } from "../../src/contract/schema/tools.js";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { runCli } from "../helpers/context.js";
import { shaped, shapedLines } from "../helpers/contract.js";
import {
  okReceiver,
  type Receiver,
  refusedUrl,
  startReceiver,
  statusReceiver,
} from "../helpers/receivers.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const dlv = "dlv_[0-9A-HJKMNP-TV-Z]{26}";
const secret = "supersecretvalue-123456";

function rows(db: string, sql: string): unknown[] {
  const handle = openDb(db);
  try {
    return handle.prepare(sql).all();
  } finally {
    handle.close();
  }
}

describe("hookctl send: output and exit codes", () => {
  it("prints one ✓ line and exits 0 when delivered", async () => {
    receiver = await okReceiver();
    const db = tempDb();
    const result = await runCli([
      "--db",
      db,
      "send",
      receiver.url,
      "--fixture",
      "order.created",
      "--secret",
      secret,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^✓ 200 in [\\d.]+ms · order\\.created · ${dlv}\\n$`));
    expect(result.stderr).toBe("");
    expect(receiver.requests[0]?.headers["x-webhook-event"]).toBe("order.created");
  });

  it("a 503 exits 1 and says when retry 1 is due and that replay runs it", async () => {
    receiver = await statusReceiver(503);
    const db = tempDb();
    const result = await runCli(["--db", db, "send", receiver.url, "--fixture", "order.paid"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^✗ 503 in [\\d.]+ms · order\\.paid · ${dlv}, retry 1 at \\d\\d:\\d\\d:\\d\\d · "status 503" — run hookctl replay\\n$`,
      ),
    );
    expect(rows(db, "SELECT status, attempt_count, last_status_code FROM deliveries")).toEqual([
      { status: "pending", attempt_count: 1, last_status_code: 503 },
    ]);
  });

  it("a refused connection is recorded, pending, exit 1", async () => {
    const db = tempDb();
    const result = await runCli([
      "--db",
      db,
      "send",
      await refusedUrl(),
      "--retries",
      "2",
      "--initial",
      "5s",
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✗ refused in .* · ping · dlv_\w+, retry 1 at/);
    const [row] = rows(db, "SELECT status, next_attempt_at - updated_at AS wait, policy FROM deliveries") as {
      status: string;
      wait: number;
      policy: string;
    }[];
    expect(row?.status).toBe("pending");
    expect(row?.wait).toBeGreaterThanOrEqual(4000);
    expect(row?.wait).toBeLessThanOrEqual(6000);
    expect(JSON.parse(row?.policy as string)).toMatchObject({ retries: 2, initialMs: 5000 });
  });

  it("--json prints one object per delivery with the documented fields", async () => {
    receiver = await statusReceiver(500);
    const result = await runCli([
      "--db",
      tempDb(),
      "--json",
      "send",
      receiver.url,
      "--event",
      "x.y",
      "--data",
      "{}",
    ]);
    expect(result.code).toBe(1);
    const object = shaped(sendResult, JSON.parse(result.stdout));
    expect(object).toMatchObject({
      id: expect.stringMatching(new RegExp(`^${dlv}$`)),
      status: "pending",
      attemptCount: 1,
      scheduleAttempts: 1,
      nextAttemptAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      nextTrigger: "scheduled",
      nextRetry: 1,
      url: receiver.url,
      endpoint: null,
      signing: { source: "none", secrets: [] },
      event: { id: expect.stringMatching(/^evt_/), type: "x.y" },
      lastAttempt: {
        number: 1,
        statusCode: 500,
        errorClass: "http",
        error: "HTTP 500",
        durationMs: expect.any(Number),
      },
      deadReason: null,
      sends: 1,
      skipped: 0,
    });
  });

  it("--count with --concurrency prints a line per delivery and a summary with percentiles and statuses", async () => {
    receiver = await okReceiver();
    const db = tempDb();
    const result = await runCli(["--db", db, "send", receiver.url, "--count", "6", "--concurrency", "3"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(6);
    expect(result.stderr).toMatch(/6 sends in .*: 6 succeeded/);
    expect(result.stderr).toMatch(/latency p50 .* · p95 .* · p99 .* · max /);
    expect(result.stderr).toContain("status 200 ×6");
    expect(rows(db, "SELECT COUNT(*) AS n FROM attempts")).toEqual([{ n: 6 }]);
  });

  it("--duplicate sends the same delivery id again and says how many sends it made", async () => {
    receiver = await okReceiver();
    const result = await runCli(["--db", tempDb(), "send", receiver.url, "--duplicate", "3", "--shuffle"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\(3 sends\)$/m);
    const ids = new Set(receiver.requests.map((r) => r.headers["x-webhook-delivery-id"]));
    expect(receiver.requests).toHaveLength(3);
    expect(ids.size).toBe(1);
    const json = await runCli(["--db", tempDb(), "--json", "send", receiver.url, "--duplicate", "2"]);
    expect(shapedLines(sendResult, json.stdout)).toEqual([
      expect.objectContaining({ status: "succeeded", attemptCount: 2, sends: 2, skipped: 0 }),
    ]);
  });

  it("draws a progress bar on stderr when it is a terminal and the run is long", async () => {
    receiver = await okReceiver();
    const result = await runCli(
      ["--db", tempDb(), "send", receiver.url, "--count", "25", "--concurrency", "5"],
      { tty: true },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("25/25 100%");
  });

  it("exits 130 when interrupted, leaving unsent deliveries pending", async () => {
    const controller = new AbortController();
    receiver = await startReceiver(() => {
      controller.abort();
      return { status: 200 };
    });
    const db = tempDb();
    const result = await runCli(["--db", db, "send", receiver.url, "--count", "4"], {
      signal: controller.signal,
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("interrupted: 3 sends not started");
    expect(rows(db, "SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status ORDER BY status")).toEqual([
      { status: "pending", n: 3 },
      { status: "succeeded", n: 1 },
    ]);
  });
});

describe("hookctl send: payloads and headers", () => {
  it("sends stdin byte-exact as test.event, sniffing the content type", async () => {
    receiver = await okReceiver();
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    const result = await runCli(["--db", tempDb(), "send", receiver.url], { stdin: bytes });
    expect(result.code).toBe(0);
    expect(receiver.requests[0]?.body.equals(bytes)).toBe(true);
    expect(receiver.requests[0]?.headers).toMatchObject({
      "content-type": "application/octet-stream",
      "x-webhook-event": "test.event",
    });
  });

  it("reads a payload file; -H adds headers and may replace Content-Type and User-Agent", async () => {
    receiver = await okReceiver();
    const dir = tempDir();
    writeFileSync(join(dir, "event.xml"), "<order id='1'/>");
    const result = await runCli(
      [
        "--db",
        tempDb(),
        "send",
        receiver.url,
        "event.xml",
        "-H",
        "content-type: application/xml",
        "-H",
        "user-agent: probe/1",
        "-H",
        "X-Tenant: acme",
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    const headers = receiver.requests[0]?.rawHeaders ?? [];
    expect(headers.filter((h) => /^content-type$/i.test(h))).toHaveLength(1);
    expect(receiver.requests[0]?.headers).toMatchObject({
      "content-type": "application/xml",
      "user-agent": "probe/1",
      "x-tenant": "acme",
    });
    expect(receiver.requests[0]?.body.toString()).toBe("<order id='1'/>");
  });

  it("with no payload at all, sends the ping fixture", async () => {
    receiver = await okReceiver();
    const result = await runCli(["--db", tempDb(), "send", receiver.url]);
    expect(result.code).toBe(0);
    expect(JSON.parse(receiver.requests[0]?.body.toString() ?? "")).toMatchObject({ type: "ping" });
  });

  it("--list-fixtures lists the bundled events", async () => {
    const result = await runCli(["send", "--list-fixtures"]);
    expect(result.code).toBe(0);
    for (const name of [
      "ping",
      "order.created",
      "order.paid",
      "invoice.payment_failed",
      "user.signup",
      "payment.refunded",
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^${name.replace(".", "\\.")} +\\d+ bytes$`, "m"));
    }
    const json = await runCli(["--json", "send", "--list-fixtures"]);
    const fixtures = shapedLines(fixture, json.stdout);
    expect(fixtures.find((f) => f.name === "order.created")).toMatchObject({
      type: "order.created",
      bytes: expect.any(Number),
    });
  });

  it("every fixture is valid JSON whose type matches its name", async () => {
    const { listFixtures, loadFixture } = await import("../../src/delivery/fixtures.js");
    for (const { name } of listFixtures()) {
      const body = JSON.parse(loadFixture(name)?.body.toString() ?? "") as { type: string };
      expect(body.type).toBe(name);
    }
  });
});

describe("hookctl send: secrets", () => {
  it("stores --secret with a bare-URL delivery for retries, and never prints it", async () => {
    receiver = await statusReceiver(503);
    const db = tempDb();
    const result = await runCli([
      "--db",
      db,
      "send",
      receiver.url,
      "--secret",
      secret,
      "-H",
      `Authorization: Bearer ${secret}`,
    ]);
    expect(result.code).toBe(1);
    const handle = openDb(db);
    const id = handle.prepare("SELECT id FROM deliveries").pluck().get() as string;
    expect(getDelivery(handle, id)?.secrets).toEqual([secret]);
    expect(listAttempts(handle, id)[0]?.requestHeaders["X-Signature"]).toMatch(/^[0-9a-f]{64}$/);
    handle.close();
    for (const args of [["log", "show", id], ["--json", "log", "show", id], ["log"], ["--json", "log"]]) {
      const shown = await runCli(["--db", db, ...args]);
      expect(shown.code).toBe(0);
      expect(shown.stdout + shown.stderr).not.toContain(secret);
    }
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it("uses HOOKCTL_SECRET for a bare URL", async () => {
    receiver = await okReceiver();
    const result = await runCli(["--db", tempDb(), "send", receiver.url, "--scheme", "github"], {
      env: { HOOKCTL_SECRET: secret },
    });
    expect(result.code).toBe(0);
    expect(receiver.requests[0]?.headers["x-hub-signature-256"]).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it("sends unsigned with a note when there is no secret", async () => {
    receiver = await okReceiver();
    const result = await runCli(["--db", tempDb(), "send", receiver.url]);
    expect(result.stderr).toContain("sending unsigned");
    expect(receiver.requests[0]?.headers["x-signature"]).toBeUndefined();
  });
});

describe("hookctl send: bad input is one line and exit 2", () => {
  const cases: [string, (url: string, db: string) => string[], RegExp][] = [
    [
      "a non-http URL",
      (_u, db) => ["--db", db, "send", "ftp://example.com/x"],
      /the target must be an http or https URL, not ftp: — use http/,
    ],
    [
      "an unknown endpoint",
      (_u, db) => ["--db", db, "send", "orders"],
      /unknown endpoint "orders" — no endpoints yet/,
    ],
    [
      "an unknown fixture",
      (u, db) => ["--db", db, "send", u, "--fixture", "nope"],
      /unknown fixture "nope" — known fixtures: .*order\.created/,
    ],
    [
      "an unreadable file",
      (u, db) => ["--db", db, "send", u, "/nonexistent/event.json"],
      /cannot read payload file .*ENOENT/,
    ],
    ["an invalid duration", (u, db) => ["--db", db, "send", u, "--timeout", "soon"], /--timeout.*invalid/],
    ["a zero timeout", (u, db) => ["--db", db, "send", u, "--timeout", "0s"], /--timeout must be above 0/],
    [
      "a reserved header",
      (u, db) => ["--db", db, "send", u, "-H", "X-Webhook-Delivery-ID: x"],
      /-H cannot set X-Webhook-Delivery-ID/,
    ],
    [
      "a secret the scheme cannot use",
      (u, db) => ["--db", db, "send", u, "--scheme", "standard", "--secret", "not-base64!"],
      /scheme standard/,
    ],
    ["no target", (_u, db) => ["--db", db, "send"], /no target given/],
    ["a bad count", (u, db) => ["--db", db, "send", u, "--count", "0"], /--count/],
    [
      "payload twice",
      (u, db) => ["--db", db, "send", u, "--fixture", "ping", "--data", "{}"],
      /give the payload once/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      receiver = await okReceiver();
      const result = await runCli(args(receiver.url, tempDb()));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(receiver.requests).toHaveLength(0);
    });
  }

  it("an unwritable log path", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "file"), "");
    const result = await runCli(["--db", join(dir, "file", "hookctl.db"), "send", "http://127.0.0.1:9/"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^hookctl: cannot create the delivery log .*\n$/);
  });

  it("an unknown endpoint lists the known ones", async () => {
    const db = tempDb();
    await runCli(["--db", db, "endpoint", "add", "orders", "--url", "http://127.0.0.1:9/"]);
    await runCli(["--db", db, "endpoint", "add", "billing", "--url", "http://127.0.0.1:9/"]);
    const result = await runCli(["--db", db, "send", "ordrs"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'hookctl: unknown endpoint "ordrs" — known endpoints: billing, orders; or give an http(s) URL\n',
    );
  });
});

describe("hookctl send to a named endpoint", () => {
  it("uses the endpoint's URL, scheme, secret and policy; flags override", async () => {
    receiver = await statusReceiver(500);
    const db = tempDb();
    const add = await runCli([
      "--db",
      db,
      "endpoint",
      "add",
      "orders",
      "--url",
      receiver.url,
      "--scheme",
      "stripe",
      "--secret",
      "whsec_endpoint1234567",
      "--retries",
      "1",
    ]);
    expect(add.code).toBe(0);
    const result = await runCli(["--db", db, "--json", "send", "orders", "--fixture", "order.created"], {
      env: { HOOKCTL_SECRET: "ignored-for-endpoints" },
    });
    expect(result.code).toBe(1);
    expect(shaped(sendResult, JSON.parse(result.stdout))).toMatchObject({
      endpoint: "orders",
      url: receiver.url,
      scheme: "stripe",
      signing: { source: "endpoint", secrets: [] },
      status: "pending",
      policy: { retries: 1 },
    });
    expect(receiver.requests[0]?.headers["stripe-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const [row] = rows(db, "SELECT secrets, policy FROM deliveries") as {
      secrets: string | null;
      policy: string;
    }[];
    expect(row?.secrets).toBeNull();
    expect(JSON.parse(row?.policy as string)).toMatchObject({ retries: 1 });

    const again = await runCli(["--db", db, "--json", "send", "orders", "--retries", "0"]);
    expect(shaped(sendResult, JSON.parse(again.stdout))).toMatchObject({
      status: "dead",
      deadReason: "exhausted",
      policy: { retries: 0 },
      nextAttemptAt: null,
      completedAt: expect.any(String),
    });
  });
});
