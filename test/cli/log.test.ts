import { afterEach, describe, expect, it } from "vitest";
import { prettyJson } from "../../src/cli/render/body.js";
import { maskHeaders } from "../../src/contract/mask.js";
import {
  delivery,
  deliveryDetail,
  type SendResultJson,
  sendResult,
} from "../../src/contract/schema/delivery.js";
import { openDb } from "../../src/store/open.js";
import { runCli } from "../helpers/context.js";
import { headerValue, shaped, shapedLines } from "../helpers/contract.js";
import { emptyLog } from "../helpers/empty-log.js";
import { type Receiver, sequenceReceiver, startReceiver } from "../helpers/receivers.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function sendJson(
  db: string,
  args: string[],
  options: Parameters<typeof runCli>[1] = {},
): Promise<SendResultJson> {
  const result = await runCli(["--db", db, "--json", "send", ...args], options);
  if (result.code === 2) throw new Error(result.stderr);
  return shapedLines(sendResult, result.stdout)[0] as SendResultJson;
}

async function send(db: string, args: string[], options: Parameters<typeof runCli>[1] = {}): Promise<string> {
  return (await sendJson(db, args, options)).id;
}

async function listJson(db: string, ...args: string[]) {
  return shapedLines(delivery, (await runCli(["--db", db, "--json", "log", ...args])).stdout);
}

async function showJson(db: string, id: string) {
  return shaped(deliveryDetail, JSON.parse((await runCli(["--db", db, "--json", "log", "show", id])).stdout));
}

describe("hookctl log", () => {
  it("lists deliveries newest first and filters by status, event glob, endpoint, since and limit", async () => {
    receiver = await sequenceReceiver([200, 503, 200, 200]);
    const db = tempDb();
    await runCli(["--db", db, "endpoint", "add", "orders", "--url", receiver.url]);
    const a = await send(db, [receiver.url, "--fixture", "order.created"]);
    const b = await send(db, [receiver.url, "--fixture", "order.paid"]);
    const c = await send(db, ["orders", "--fixture", "user.signup"]);

    const all = await runCli(["--db", db, "log"]);
    expect(all.code).toBe(0);
    const [header = "", ...lines] = all.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ {3}id +status +event +result +tries +created +target +next$/);
    expect(lines.map((line) => /dlv_\w+/.exec(line)?.[0])).toEqual([c, b, a]);
    expect(lines[0]).toMatch(
      /^✓ {2}dlv_\w{26} {2}succeeded {2}user\.signup +200 [\d.]+ms +1 {2}\d\d:\d\d:\d\d {2}orders$/,
    );
    expect(lines[1]).toMatch(/^↻ {2}dlv_\w+ {2}pending {4}order\.paid +503 .* 1 .* \d\d:\d\d:\d\d$/);
    // Every column starts where its header does.
    for (const title of ["status", "event", "result", "created", "target"]) {
      const at = header.indexOf(title);
      for (const line of lines) expect(line[at - 1]).toBe(" ");
      for (const line of lines) expect(line[at]).not.toBe(" ");
    }

    const ids = async (...args: string[]) => (await listJson(db, ...args)).map((d) => d.id);
    expect(await ids("--status", "pending")).toEqual([b]);
    expect(await ids("--event", "order.*")).toEqual([b, a]);
    expect(await ids("--endpoint", "orders")).toEqual([c]);
    expect(await ids("--limit", "1")).toEqual([c]);
    expect(await ids("--since", "1h")).toEqual([c, b, a]);
    const future = await runCli(["--db", db, "--json", "log", "--since", "1h"], {
      now: () => Date.now() + 2 * 3_600_000,
    });
    expect(future.stdout).toBe("");
  });

  it("--json objects carry the same shape as send --json", async () => {
    receiver = await sequenceReceiver([500]);
    const db = tempDb();
    const { sends, skipped, ...sent } = await sendJson(db, [receiver.url, "--event", "a.b", "--data", "{}"]);
    expect({ sends, skipped }).toEqual({ sends: 1, skipped: 0 });
    const listed = await listJson(db);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id: sent.id,
      status: "pending",
      attemptCount: 1,
      nextAttemptAt: expect.any(String),
      nextTrigger: "scheduled",
      nextRetry: 1,
      url: receiver.url,
      event: { type: "a.b" },
      lastAttempt: { number: 1, statusCode: 500, error: "HTTP 500", durationMs: expect.any(Number) },
      deadReason: null,
      completedAt: null,
    });
    expect(listed[0]).toEqual(sent);
  });

  it("says so when the log is empty, and refuses unknown filters with exit 2", async () => {
    const db = emptyLog();
    const empty = await runCli(["--db", db, "log"]);
    expect(empty).toMatchObject({ code: 0, stdout: "" });
    expect(empty.stderr).toContain("no deliveries");
    // A filter that matches nothing says so, --since 0s included (zero is a filter, not none).
    for (const filter of [
      ["--since", "0s"],
      ["--event", ""],
    ]) {
      const none = await runCli(["--db", db, "log", ...filter]);
      expect(none.stderr).toBe("no deliveries match; send one with hookctl send\n");
    }
    const badStatus = await runCli(["--db", db, "log", "--status", "lost"]);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toMatch(/--status.*lost/);
    const badEndpoint = await runCli(["--db", db, "log", "--endpoint", "nope"]);
    expect(badEndpoint).toMatchObject({
      code: 2,
      stderr: 'hookctl: unknown endpoint "nope" — no endpoints yet (hookctl endpoint add)\n',
    });
    const badSince = await runCli(["--db", db, "log", "--since", "yesterday"]);
    expect(badSince.code).toBe(2);
  });
});

describe("hookctl log show", () => {
  it("shows the event, masked request headers, pretty body, attempt timeline and next attempt", async () => {
    receiver = await startReceiver((_r, i) =>
      i === 0
        ? {
            status: 503,
            body: '{"error":"maintenance","retry":"later"}',
            headers: { "set-cookie": "session=abcdefghijklmnop" },
          }
        : { status: 200 },
    );
    const db = tempDb();
    const secret = "my-signing-secret-0123456789";
    const id = await send(db, [
      receiver.url,
      "--data",
      '{"amount":12345678901234567890,"nested":{"ok":true},"list":[]}',
      "--event",
      "charge.made",
      "--secret",
      secret,
      "-H",
      "Authorization: Bearer tok_live_abcdefghijklmnop",
      "-H",
      "X-Api-Key: key_abcdefghijklmnop",
      "-H",
      "X-Echo: contains my-signing-secret-0123456789 inside",
    ]);
    const result = await runCli(["--db", db, "log", "show", id.slice(-8)]);
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(
      new RegExp(
        `^↻ ${id} {2}pending · retry 1 at \\d\\d:\\d\\d:\\d\\d \\((in .*|due now)\\) — run hookctl replay`,
      ),
    );
    expect(out).toMatch(/event +charge\.made {2}evt_\w+/);
    expect(out).toContain("signing   hookctl, 1 secret (my-s…)");
    expect(out).toContain("Authorization: Bearer tok_…");
    expect(out).toContain("X-Api-Key: key_…");
    expect(out).toContain("X-Echo: contains my-s… inside");
    expect(out).toMatch(/X-Signature: [0-9a-f]{64}/);
    expect(out).toContain('"amount": 12345678901234567890,');
    expect(out).toContain('  "nested": {\n      "ok": true\n    },');
    expect(out).toMatch(
      /#1 +initial +\d\d:\d\d:\d\d +503 +[\d.]+ms +HTTP 503 +"\{\\"error\\":\\"maintenance\\",\\"retry\\":\\"later\\"\}"/,
    );
    for (const leaked of [secret, "tok_live_abcdefghijklmnop", "key_abcdefghijklmnop"])
      expect(out).not.toContain(leaked);

    const json = await runCli(["--db", db, "--json", "log", "show", id]);
    const parsed = shaped(deliveryDetail, JSON.parse(json.stdout));
    expect(Object.keys(parsed)).toEqual(["delivery", "event", "attempts"]);
    // The same delivery object the list prints.
    expect(parsed.delivery).toEqual((await listJson(db))[0]);
    expect(parsed.delivery).toMatchObject({
      id,
      status: "pending",
      signing: { source: "delivery", secrets: ["my-s…"] },
      headers: [
        { name: "Authorization", value: "Bearer tok_…" },
        { name: "X-Api-Key", value: "key_…" },
        { name: "X-Echo", value: "contains my-s… inside" },
      ],
      event: { id: parsed.event.id, type: "charge.made" },
    });
    expect(parsed.event).toMatchObject({
      type: "charge.made",
      body: '{"amount":12345678901234567890,"nested":{"ok":true},"list":[]}',
      bodyBase64: null,
    });
    const [first] = parsed.attempts;
    expect(first).toMatchObject({
      deliveryId: id,
      number: 1,
      trigger: "initial",
      statusCode: 503,
      responseBody: '{"error":"maintenance","retry":"later"}',
      responseBodyBase64: null,
    });
    expect(headerValue(first?.responseHeaders ?? [], "set-cookie")).toBe("sess…");
    expect(headerValue(first?.requestHeaders ?? [], "Authorization")).toBe("Bearer tok_…");
    expect(headerValue(first?.requestHeaders ?? [], "X-Api-Key")).toBe("key_…");
    for (const leaked of [secret, "tok_live_abcdefghijklmnop", "session=abcdefghijklmnop"])
      expect(json.stdout).not.toContain(leaked);
  });

  it("shows a binary body as a hex preview and bodyBase64 in JSON", async () => {
    receiver = await sequenceReceiver([200]);
    const db = tempDb();
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);
    const id = await send(db, [receiver.url], { stdin: bytes });
    const out = (await runCli(["--db", db, "log", "show", id])).stdout;
    expect(out).toContain("Body (10 bytes, application/octet-stream)");
    expect(out).toContain("00000000  89 50 4e 47 0d 0a 1a 0a  00 00");
    expect(out).toContain("|.PNG......|");
    expect(out).toMatch(/#1 +initial .* 200 /);
    const json = await showJson(db, id);
    expect(json.event).toMatchObject({ size: 10, body: null, bodyBase64: bytes.toString("base64") });
  });

  it("masks an endpoint's secret in lists as show does: one delivery object everywhere", async () => {
    receiver = await sequenceReceiver([503]);
    const db = tempDb();
    const secret = "endpoint-secret-0123456789";
    await runCli(["--db", db, "endpoint", "add", "orders", "--url", receiver.url, "--secret", secret]);
    const sent = await runCli(["--db", db, "--json", "send", "orders", "-H", `X-Echo: has ${secret} inside`]);
    const listed = await runCli(["--db", db, "--json", "log"]);
    const [item] = shapedLines(delivery, listed.stdout);
    const shown = await showJson(db, item?.id as string);
    expect(headerValue(shown.delivery.headers, "X-Echo")).toBe("has endp… inside");
    expect(item).toEqual(shown.delivery);
    for (const output of [sent.stdout, listed.stdout]) expect(output).not.toContain(secret);
  });

  it("an unknown or ambiguous id is exit 2", async () => {
    const db = emptyLog();
    const unknown = await runCli(["--db", db, "log", "show", "dlv_nope"]);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: 'hookctl: no delivery "dlv_nope" in the log — list them with hookctl log\n',
    });
    receiver = await sequenceReceiver([200]);
    const id = await send(db, [receiver.url]);
    await send(db, [receiver.url]);
    expect((await showJson(db, id.slice(-6).toLowerCase())).delivery.id).toBe(id);
    const short = await runCli(["--db", db, "log", "show", id.slice(-5)]);
    expect(short).toMatchObject({
      code: 2,
      stdout: "",
      stderr: `hookctl: no delivery "${id.slice(-5)}" in the log — give the full id or at least its last 6 characters\n`,
    });
    // Prefixes no longer name a delivery: ids start with their creation time.
    const prefix = await runCli(["--db", db, "log", "show", id.slice(0, 22)]);
    expect(prefix).toMatchObject({ code: 2, stdout: "" });
    expect(prefix.stderr).toContain(`no delivery "${id.slice(0, 22)}" in the log`);

    const handle = openDb(db);
    const twins = ["dlv_01AAAAAAAAQ7TWNS0FFXQ7XYZ0", "dlv_01BBBBBBBBQ7TWNS0FFXQ7XYZ0"];
    seedDeliveries(handle, { url: receiver.url, now: Date.now(), ids: twins });
    handle.close();
    const ambiguous = await runCli(["--db", db, "log", "show", "FFXQ7XYZ0"]);
    expect(ambiguous).toMatchObject({
      code: 2,
      stdout: "",
      stderr: `hookctl: "FFXQ7XYZ0" matches several deliveries: ${twins[1]}, ${twins[0]} — give more characters of the id\n`,
    });
    expect((await showJson(db, twins[0] as string)).delivery.id).toBe(twins[0]);
  });

  it("log received is still registered under log", async () => {
    const result = await runCli(["--db", emptyLog(), "log", "received"]);
    expect(result.code).toBe(0);
  });
});

describe("rendering helpers", () => {
  it("prettyJson re-indents without touching values, and refuses non-JSON", () => {
    expect(prettyJson('{"a":[1,2.50,{"b":"x\\"y, z"}],"c":{}}')).toBe(
      '{\n  "a": [\n    1,\n    2.50,\n    {\n      "b": "x\\"y, z"\n    }\n  ],\n  "c": {}\n}',
    );
    expect(prettyJson("not json")).toBeUndefined();
    expect(prettyJson("42")).toBeUndefined();
  });

  it("masks credential headers by name and any value containing a known secret", () => {
    expect(
      maskHeaders(
        {
          authorization: "Basic dXNlcjpwYXNzd29yZDEyMzQ1",
          Cookie: "a=b",
          "X-Auth-Token": "abcdefghijklmnopqrstuvwxyz",
          "Stripe-Api-Key": "sk_test_abcdefghijklmnop",
          "X-Other": "prefix-SECRET1234-suffix",
          "X-Plain": "hello",
        },
        ["SECRET1234"],
      ),
    ).toEqual({
      authorization: "Basic dXNl…",
      Cookie: "…",
      "X-Auth-Token": "abcd…",
      "Stripe-Api-Key": "sk_t…",
      "X-Other": "prefix-SE…-suffix",
      "X-Plain": "hello",
    });
  });
});
