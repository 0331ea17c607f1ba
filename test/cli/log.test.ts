import { afterEach, describe, expect, it } from "vitest";
import { prettyJson } from "../../src/cli/render/body.js";
import { maskHeaders } from "../../src/cli/render/mask.js";
import { runCli } from "../helpers/context.js";
import { type Receiver, sequenceReceiver, startReceiver } from "../helpers/receivers.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function send(db: string, args: string[], options: Parameters<typeof runCli>[1] = {}): Promise<string> {
  const result = await runCli(["--db", db, "--json", "send", ...args], options);
  if (result.code === 2) throw new Error(result.stderr);
  return (JSON.parse(result.stdout.trim().split("\n")[0] as string) as { id: string }).id;
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
    const lines = all.stdout.trim().split("\n");
    expect(lines.map((line) => /dlv_\w+/.exec(line)?.[0])).toEqual([c, b, a]);
    expect(lines[0]).toMatch(
      /^✓ {2}dlv_\w+ {2}succeeded {2}user\.signup +200 [\d.]+ ms +×1 +\d\d:\d\d:\d\d {2}orders$/,
    );
    expect(lines[1]).toMatch(/^↻ {2}dlv_\w+ {2}pending {4}order\.paid +503 .*×1 .*next \d\d:\d\d:\d\d$/);

    const ids = async (...args: string[]) =>
      (await runCli(["--db", db, "--json", "log", ...args])).stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { id: string }).id);
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
    const id = await send(db, [receiver.url, "--event", "a.b", "--data", "{}"]);
    const [line] = (await runCli(["--db", db, "--json", "log"])).stdout.trim().split("\n");
    expect(JSON.parse(line as string)).toMatchObject({
      id,
      status: "pending",
      attempts: 1,
      nextAttemptAt: expect.any(String),
      nextRetry: 1,
      url: receiver.url,
      event: { type: "a.b" },
      lastAttempt: { statusCode: 500, error: "HTTP 500", durationMs: expect.any(Number) },
      createdAt: expect.any(String),
    });
  });

  it("says so when the log is empty, and refuses unknown filters with exit 2", async () => {
    const db = tempDb();
    const empty = await runCli(["--db", db, "log"]);
    expect(empty).toMatchObject({ code: 0, stdout: "" });
    expect(empty.stderr).toContain("no deliveries");
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
    const result = await runCli(["--db", db, "log", "show", id.slice(0, 22)]);
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
      /#1 +initial +\d\d:\d\d:\d\d +503 +[\d.]+ ms +HTTP 503 +"\{\\"error\\":\\"maintenance\\",\\"retry\\":\\"later\\"\}"/,
    );
    for (const leaked of [secret, "tok_live_abcdefghijklmnop", "key_abcdefghijklmnop"])
      expect(out).not.toContain(leaked);

    const json = await runCli(["--db", db, "--json", "log", "show", id]);
    const parsed = JSON.parse(json.stdout) as {
      delivery: Record<string, unknown>;
      attempts: Record<string, unknown>[];
    };
    expect(Object.keys(parsed)).toEqual(["delivery", "attempts"]);
    expect(parsed.delivery).toMatchObject({
      id,
      status: "pending",
      signing: { source: "delivery", secrets: ["my-s…"] },
      extraHeaders: { Authorization: "Bearer tok_…" },
      event: { type: "charge.made", body: '{"amount":12345678901234567890,"nested":{"ok":true},"list":[]}' },
    });
    expect(parsed.attempts[0]).toMatchObject({
      number: 1,
      trigger: "initial",
      statusCode: 503,
      responseBody: '{"error":"maintenance","retry":"later"}',
      responseHeaders: { "set-cookie": "sess…" },
      requestHeaders: { Authorization: "Bearer tok_…", "X-Api-Key": "key_…" },
    });
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
    const json = JSON.parse((await runCli(["--db", db, "--json", "log", "show", id])).stdout);
    expect(json.delivery.event.bodyBase64).toBe(bytes.toString("base64"));
  });

  it("an unknown or ambiguous id is exit 2", async () => {
    const db = tempDb();
    const unknown = await runCli(["--db", db, "log", "show", "dlv_nope"]);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: 'hookctl: no delivery "dlv_nope" — list them with hookctl log\n',
    });
    receiver = await sequenceReceiver([200]);
    await send(db, [receiver.url]);
    await send(db, [receiver.url]);
    const ambiguous = await runCli(["--db", db, "log", "show", "dlv_"]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("matches several deliveries");
  });

  it("log received is still registered under log", async () => {
    const result = await runCli(["--db", tempDb(), "log", "received"]);
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
