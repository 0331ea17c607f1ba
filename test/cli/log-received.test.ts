import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { receivedRequest, receivedRequestDetail } from "../../src/contract/schema/received.js";
import { openDb } from "../../src/store/open.js";
import { insertReceived, type ReceivedRecord } from "../../src/store/received.js";
import { runCli, testContext } from "../helpers/context.js";
import { shaped, shapedLines } from "../helpers/contract.js";
import { emptyLog } from "../helpers/empty-log.js";
import { tempDb } from "../helpers/tmp.js";

const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x1b, 0x0d, 0x0a]);
const json = Buffer.from('{"type":"order.created","total":42}');

function record(overrides: Partial<ReceivedRecord>): ReceivedRecord {
  return {
    id: "rcv_01JD0000000000000000000000",
    receivedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    method: "POST",
    path: "/",
    headers: [
      ["Content-Type", "application/json"],
      ["X-Webhook-Delivery-ID", "dlv_1"],
    ],
    body: json,
    deliveryId: "dlv_1",
    eventType: "order.created",
    verification: "verified",
    verificationReason: null,
    scheme: "hookctl",
    duplicate: false,
    responseStatus: 200,
    injected: null,
    durationMs: 1.5,
    ...overrides,
  };
}

function seeded(): string {
  const path = tempDb();
  const db = openDb(path);
  insertReceived(
    db,
    record({ id: "rcv_01JD0000000000000000000001", responseStatus: 503, injected: "fail-first 1/1 503" }),
  );
  insertReceived(db, record({ id: "rcv_01JD0000000000000000000002", duplicate: false }));
  insertReceived(
    db,
    record({
      id: "rcv_01JD0000000000000000000003",
      body: binary,
      headers: [["Content-Type", "image/png"]],
      deliveryId: "dlv_2",
      eventType: null,
      verification: "invalid",
      verificationReason: "signature does not match any secret",
      responseStatus: 401,
    }),
  );
  db.close();
  return path;
}

describe("hookctl log received", () => {
  it("lists captured requests newest first under a header, one row each", async () => {
    const db = seeded();
    const result = await runCli(["--db", db, "log", "received"]);
    expect(result.code).toBe(0);
    const [header = "", ...lines] = result.stdout.trim().split("\n");
    expect(header).toMatch(/^id +time +request +event +delivery +verified +size +status +notes$/);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^rcv_01JD0000000000000000000003 {2}\d\d:\d\d:\d\d\.678 {2}POST \/ +- +dlv_2 +✗ signature does not match any secret +9 B {2}→ 401$/,
    );
    expect(lines[1]).toMatch(/order\.created {2}dlv_1 +✓ verified \(hookctl\) +35 B {2}→ 200$/);
    expect(lines[2]).toMatch(/→ 503 +injected fail-first 1\/1 503$/);
    for (const title of ["event", "delivery", "verified", "status"]) {
      expect(lines.map((line) => line[header.indexOf(title) - 1])).toEqual([" ", " ", " "]);
      expect(lines.map((line) => line[header.indexOf(title)])).not.toContain(" ");
    }
  });

  it("--json prints one object per request; --limit and --delivery narrow it", async () => {
    const db = seeded();
    const result = await runCli([
      "--db",
      db,
      "log",
      "received",
      "--json",
      "--delivery",
      "dlv_1",
      "--limit",
      "1",
    ]);
    expect(result.code).toBe(0);
    expect(shapedLines(receivedRequest, result.stdout)).toEqual([
      {
        id: "rcv_01JD0000000000000000000002",
        receivedAt: "2026-01-02T03:04:05.678Z",
        method: "POST",
        path: "/",
        eventType: "order.created",
        deliveryId: "dlv_1",
        verification: "verified",
        reason: null,
        scheme: "hookctl",
        duplicate: false,
        statusCode: 200,
        injected: null,
        refused: null,
        size: 35,
        durationMs: 1.5,
      },
    ]);
  });

  it("says where it looked when nothing was captured", async () => {
    const db = emptyLog();
    const result = await runCli(["--db", db, "log", "received"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`no captured requests in ${db}`);
  });
});

describe("hookctl log received show", () => {
  it("shows the headers and the pretty body", async () => {
    const db = seeded();
    const result = await runCli(["--db", db, "log", "received", "show", "rcv_01JD0000000000000000000002"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("    X-Webhook-Delivery-ID: dlv_1");
    expect(result.stdout).toContain('      "total": 42');
    expect(result.stdout).toContain("answered in 1.5ms");
  });

  it("accepts a unique suffix of 6+ characters and refuses a shorter, ambiguous or unknown one", async () => {
    const db = seeded();
    const showId = async (id: string) => {
      const result = await runCli(["--db", db, "--json", "log", "received", "show", id]);
      expect(result.code, id).toBe(0);
      return shaped(receivedRequestDetail, JSON.parse(result.stdout)).id;
    };
    expect(await showId("rcv_01JD0000000000000000000003")).toBe("rcv_01JD0000000000000000000003");
    expect(await showId("000002")).toBe("rcv_01JD0000000000000000000002");
    /** The one line a refused id gets, after checking it is exit 2 with nothing on stdout. */
    const refusal = async (id: string) => {
      const result = await runCli(["--db", db, "log", "received", "show", id]);
      expect(result.code, id).toBe(2);
      expect(result.stdout).toBe("");
      return result.stderr;
    };
    expect(await refusal("00002")).toBe(
      'hookctl: no captured request "00002" in the log — give the full id or at least its last 6 characters\n',
    );
    const handle = openDb(db);
    insertReceived(handle, record({ id: "rcv_01JE0000000000000000000002" }));
    handle.close();
    expect(await refusal("000002")).toBe(
      'hookctl: "000002" matches several captured requests: rcv_01JE0000000000000000000002, rcv_01JD0000000000000000000002 — give more characters of the id\n',
    );
    // A prefix is no longer an id: ids start with their creation time.
    expect(await refusal("rcv_01JD")).toContain('no captured request "rcv_01JD" in the log');
    expect(await refusal("rcv_nope")).toBe(
      'hookctl: no captured request "rcv_nope" in the log — list them with hookctl log received\n',
    );
  });

  it("shows a binary body safely as a hex dump", async () => {
    const db = seeded();
    const result = await runCli(["--db", db, "log", "received", "show", "rcv_01JD0000000000000000000003"]);
    expect(result.stdout).toContain("(binary, 9 B)");
    expect(result.stdout).toContain("89 50 4e 47 00 ff 1b 0d 0a");
    expect(result.stdout).not.toContain("\u001b");
  });

  it("--raw writes the exact body bytes to stdout", async () => {
    const db = seeded();
    const { ctx } = testContext();
    const chunks: Buffer[] = [];
    ctx.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    const code = await run(
      ["--db", db, "log", "received", "show", "rcv_01JD0000000000000000000003", "--raw"],
      ctx,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(code).toBe(0);
    expect(Buffer.concat(chunks).equals(binary)).toBe(true);
  });

  it("--json carries the headers and the body (base64 when not UTF-8)", async () => {
    const db = seeded();
    const show = async (id: string) =>
      shaped(
        receivedRequestDetail,
        JSON.parse((await runCli(["--db", db, "--json", "log", "received", "show", id])).stdout),
      );
    const object = await show("rcv_01JD0000000000000000000003");
    expect(object).toMatchObject({
      id: "rcv_01JD0000000000000000000003",
      verification: "invalid",
      reason: "signature does not match any secret",
      statusCode: 401,
      size: 9,
    });
    expect(object.headers).toEqual([{ name: "Content-Type", value: "image/png" }]);
    expect(Buffer.from(object.bodyBase64 as string, "base64").equals(binary)).toBe(true);
    expect(object.body).toBeNull();
    expect(await show("rcv_01JD0000000000000000000002")).toMatchObject({
      headers: [
        { name: "Content-Type", value: "application/json" },
        { name: "X-Webhook-Delivery-ID", value: "dlv_1" },
      ],
      body: json.toString("utf8"),
      bodyBase64: null,
    });
  });

  it("documents itself with examples", async () => {
    const result = await runCli(["log", "received", "show", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--raw");
    expect(result.stdout).toContain("Examples:");
  });
});
