import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resultJson } from "../../src/cli/actions/verify.js";
import { lineSplitter } from "../../src/cli/actions/verify-batch.js";
import { lineJson, numbered, usualLine } from "../../src/cli/actions/verify-batch-line.js";
import { run } from "../../src/cli/main.js";
import { verifyBatchLine, verifyBatchResult } from "../../src/contract/schema/verify.js";
import { sign, type VerifyResult } from "../../src/signing/index.js";
import { runCli, testContext } from "../helpers/context.js";
import { shapedLines } from "../helpers/contract.js";

const T = 1_700_000_000;
const now = () => T * 1000;
const whsecA = "whsec_c2VjcmV0LWEtMTIzNDU2Nzg5MA==";
const whsecB = "whsec_c2VjcmV0LWItMTIzNDU2Nzg5MA==";

const headersOf = (scheme: "standard" | "hookctl", data: string | Buffer, secrets: string[]) =>
  sign({ scheme, body: Buffer.from(data), secrets, id: "msg_1", timestamp: T }).headers;
const line = (data: string, secrets: string[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ headers: headersOf("standard", data, secrets), body: data, ...extra });

const unverifiable = (lineNumber: number, reason: string, extra: Record<string, unknown> = {}) => ({
  line: lineNumber,
  ...extra,
  valid: false,
  outcome: "unverifiable",
  scheme: null,
  reason,
  code: "bad-input",
  secretIndex: null,
  timestamp: null,
  timestampValue: null,
  ageSeconds: null,
});

describe("hookctl verify --batch", () => {
  it("prints one result per non-blank line, in order, numbered, and exits 0 when all are valid", async () => {
    const input = [line("a", [whsecA]), "", line("b", [whsecB], { id: "req-2" })].join("\n");
    const result = await runCli(["verify", "--batch", "--secret", whsecA, "--secret", whsecB], {
      stdin: `${input}\n`,
      now,
    });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    // Each line's result is what `verify --json` says about the same request, numbered.
    const single = async (data: string, secrets: string[]) => {
      const headerFlags = Object.entries(headersOf("standard", data, secrets)).flatMap(([name, value]) => [
        "-H",
        `${name}: ${value}`,
      ]);
      const args = [
        "verify",
        "--json",
        "--data",
        data,
        "--secret",
        whsecA,
        "--secret",
        whsecB,
        ...headerFlags,
      ];
      return JSON.parse((await runCli(args, { now })).stdout);
    };
    expect(shapedLines(verifyBatchResult, result.stdout)).toEqual([
      { line: 1, ...(await single("a", [whsecA])) },
      { line: 3, id: "req-2", ...(await single("b", [whsecB])) },
    ]);
    expect(
      shapedLines(verifyBatchResult, result.stdout).map((r) => [r.secretIndex, r.timestampValue]),
    ).toEqual([
      [0, String(T)],
      [1, String(T)],
    ]);
  });

  it("turns every bad line into a result naming the field, never a crash, and exits 1", async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x80]);
    const signedBytes = sign({
      scheme: "hookctl",
      body: bytes,
      secrets: ["k"],
      id: "d",
      timestamp: T,
    }).headers;
    const input = [
      "{not json",
      JSON.stringify({ headers: signedBytes, bodyBase64: bytes.toString("base64") }),
      JSON.stringify([1, 2]),
      JSON.stringify({ id: "no-body", headers: signedBytes }),
      JSON.stringify({ headers: { "Content-Type": "text/plain" }, body: "x" }),
      JSON.stringify({ headers: signedBytes, body: "tampered" }),
      JSON.stringify({ headers: "X-Signature: ab", body: "x" }),
      JSON.stringify({ id: "obj", headers: { "X-Signature": {} }, body: "x" }),
      JSON.stringify({ headers: [{ name: "X-Signature", value: 3 }], body: "x" }),
      JSON.stringify({ headers: signedBytes, body: "x", bodyBase64: "eA==" }),
      JSON.stringify({ headers: signedBytes, bodyBase64: "%%%" }),
      JSON.stringify({ id: 7, headers: signedBytes, body: "x" }),
      JSON.stringify({ headers: signedBytes, body: 5 }),
      "null",
    ].join("\r\n");
    const result = await runCli(["verify", "--batch", "--secret", "k"], { stdin: input, now });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
    const results = shapedLines(verifyBatchResult, result.stdout);
    expect(results.map((r) => [r.line, r.outcome])).toEqual([
      [1, "unverifiable"],
      [2, "valid"],
      [3, "unverifiable"],
      [4, "unverifiable"],
      [5, "unverifiable"],
      [6, "invalid"],
      [7, "unverifiable"],
      [8, "unverifiable"],
      [9, "unverifiable"],
      [10, "unverifiable"],
      [11, "unverifiable"],
      [12, "unverifiable"],
      [13, "unverifiable"],
      [14, "unverifiable"],
    ]);
    expect(results[0]).toEqual(unverifiable(1, "line is not valid JSON"));
    expect(results[2]).toEqual(unverifiable(3, "expected object, got array"));
    expect(results[3]).toEqual(
      unverifiable(4, 'missing "body" (a string) or "bodyBase64"', { id: "no-body" }),
    );
    expect(results[4]).toMatchObject({
      code: "no-signature",
      reason: expect.stringMatching(/^no signature header found/),
    });
    expect(results[5]).toMatchObject({ reason: "signature does not match any secret", code: null });
    expect(results[6]?.reason).toBe("headers: expected array or object, got string");
    expect(results[7]).toEqual(
      unverifiable(8, "headers.X-Signature: expected string or number or array, got object", { id: "obj" }),
    );
    expect(results[8]?.reason).toBe("headers[0].value: expected string, got number");
    expect(results[9]?.reason).toBe('give "body" or "bodyBase64", not both');
    expect(results[10]?.reason).toBe("bodyBase64: not base64");
    expect(results[11]?.reason).toBe("id: expected string, got number");
    expect(results[12]?.reason).toBe("body: expected string, got number");
    expect(results[13]?.reason).toBe("expected object, got null");
  });

  it("reads header lists, repeated values and requests as listen --json prints them", async () => {
    const data = '{"n":1}';
    const headers = headersOf("standard", data, [whsecA]);
    const list = Object.entries(headers).map(([name, value]) => ({ name, value }));
    const repeated = {
      ...headers,
      "webhook-signature": [`v1,${Buffer.alloc(32).toString("base64")}`, headers["webhook-signature"]],
    };
    const listenLine = {
      id: null,
      method: "POST",
      headers: list,
      body: data,
      bodyBase64: null,
      statusCode: 200,
    };
    const input = [
      JSON.stringify({ headers: list, body: data }),
      JSON.stringify({ headers: repeated, body: data }),
      JSON.stringify(listenLine),
      JSON.stringify({ headers: { ...headers, "webhook-timestamp": T }, body: data }),
    ].join("\n");
    const result = await runCli(["verify", "--batch", "--secret", whsecA], { stdin: input, now });
    expect(shapedLines(verifyBatchResult, result.stdout).map((r) => r.outcome)).toEqual([
      "valid",
      "valid",
      "valid",
      "valid",
    ]);
    expect(result.code).toBe(0);
  });

  it("applies --scheme, --tolerance and --now to every line", async () => {
    const input = line("a", [whsecA]);
    const stale = await runCli(["verify", "--batch", "--secret", whsecA, "--now", String(T + 301)], {
      stdin: input,
    });
    expect(JSON.parse(stale.stdout)).toMatchObject({
      outcome: "invalid",
      reason: "timestamp 301s old (tolerance 300s)",
    });
    const wide = await runCli(
      ["verify", "--batch", "--secret", whsecA, "--now", String(T + 301), "--tolerance", "10m"],
      {
        stdin: input,
      },
    );
    expect(wide.code).toBe(0);
    const wrongScheme = await runCli(["verify", "--batch", "--scheme", "github", "--secret", whsecA], {
      stdin: input,
      now,
    });
    expect(JSON.parse(wrongScheme.stdout)).toMatchObject({
      outcome: "invalid",
      reason: "no X-Hub-Signature-256 header",
    });
  });

  it("a 50 MB line arriving in 64 KiB chunks is read in one pass", async () => {
    const data = `{"pad":"${"x".repeat(50 * 1024 * 1024)}"}`;
    const text = `${line("small", [whsecA])}\n${line(data, [whsecA], { id: "big" })}\n${line("tail", [whsecA])}`;
    const bytes = Buffer.from(text);
    const chunks = function* () {
      for (let at = 0; at < bytes.length; at += 65_536) yield bytes.subarray(at, at + 65_536);
    };
    const { ctx, stdout } = testContext({ now });
    ctx.stdin = Object.assign(Readable.from(chunks()), { isTTY: false });
    const code = await run(["verify", "--batch", "--secret", whsecA], ctx);
    await new Promise((resolve) => setImmediate(resolve));
    expect(code).toBe(0);
    expect(
      stdout()
        .trim()
        .split("\n")
        .map((text) => JSON.parse(text).id ?? null),
    ).toEqual([null, "big", null]);
  });

  it("refuses flags that make no sense with --batch (exit 2)", async () => {
    for (const args of [
      ["--data", "x"],
      ["body.json"],
      ["-H", "X-Signature: ab"],
      ["--signature", "ab"],
      ["--headers-file", "h"],
    ]) {
      const result = await runCli(["verify", "--batch", "--secret", "k", ...args], { stdin: "" });
      expect(result).toMatchObject({ code: 2, stdout: "" });
      expect(result.stderr).toMatch(/^hookctl: --batch .* — .*\n$/);
    }
    const noSecret = await runCli(["verify", "--batch"], { stdin: "{}" });
    expect(noSecret).toMatchObject({ code: 2, stdout: "" });
    expect(noSecret.stderr).toMatch(/^hookctl: no secret/);
  });

  it("prints nothing and exits 0 for empty input", async () => {
    expect(await runCli(["verify", "--batch", "--secret", "k"], { stdin: "\n\n" })).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
  });
});

describe("lineSplitter", () => {
  const split = (chunks: Buffer[]) => {
    const splitter = lineSplitter();
    return [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
  };

  it("splits on \\n, drops a \\r before it, keeps blank lines (for numbering) and a last line without \\n", () => {
    expect(split([Buffer.from("a\r\n\nb\nc")])).toEqual(["a", "", "b", "c"]);
  });

  it("joins a line across chunks, even a multi-byte character split between them", () => {
    const bytes = Buffer.from('{"name":"Zoë 🎉"}\nnext\n');
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(split([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['{"name":"Zoë 🎉"}', "next"]);
    }
    expect(split([...bytes].map((byte) => Buffer.from([byte])))).toEqual(['{"name":"Zoë 🎉"}', "next"]);
  });
});

describe("batch lines without zod's copy", () => {
  const value = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.string(), { maxKeys: 2 }),
  );
  const lineLike = fc.record(
    {
      id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      headers: fc.oneof(
        fc.dictionary(fc.string({ maxLength: 20 }), fc.string(), { maxKeys: 4 }),
        fc.dictionary(fc.string({ maxLength: 20 }), value, { maxKeys: 4 }),
        fc.array(fc.record({ name: fc.string(), value: fc.string() }), { maxLength: 2 }),
        value,
      ),
      body: fc.oneof(fc.string(), value),
      bodyBase64: fc.oneof(fc.base64String(), value),
      other: value,
    },
    { requiredKeys: [] },
  );

  const usualLike = fc.record(
    {
      id: fc.oneof(fc.string(), fc.constant(null)),
      headers: fc.dictionary(fc.string({ maxLength: 20 }), fc.string(), { maxKeys: 4 }),
      body: fc.string(),
      bodyBase64: fc.constant(null),
      other: value,
    },
    { requiredKeys: ["headers", "body"] },
  );

  it("accept only what verifyBatchLine accepts, with the same data", () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.oneof(usualLike, lineLike, value), (input) => {
        const usual = usualLine(input);
        if (usual === undefined) return;
        taken++;
        const parsed = verifyBatchLine.safeParse(input);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        expect(usual).toEqual({
          id: parsed.data.id ?? undefined,
          headers: parsed.data.headers,
          body: parsed.data.body,
        });
      }),
      { numRuns: 2000 },
    );
    expect(taken).toBeGreaterThan(200);
  });

  it("the usual line is taken without zod", () => {
    const headers = { "webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA" };
    expect(usualLine({ headers, body: "x", id: "a" })).toEqual({ id: "a", headers, body: "x" });
    expect(usualLine({ headers, body: "x", bodyBase64: null, id: null })).toEqual({
      id: undefined,
      headers,
      body: "x",
    });
    expect(usualLine({ headers: { n: 1 }, body: "x" })).toBeUndefined();
    expect(usualLine(JSON.parse('{"headers":{"__proto__":""},"body":""}'))).toBeUndefined();
    expect(usualLine({ headers, bodyBase64: "eA==" })).toBeUndefined();
  });
});

describe("lineJson", () => {
  const results: VerifyResult[] = [
    {
      outcome: "valid",
      scheme: "standard",
      secretIndex: 1,
      timestamp: T,
      timestampValue: ` ${T}`,
      ageSeconds: -3,
    },
    {
      outcome: "valid",
      scheme: "hookctl",
      secretIndex: 0,
      timestamp: null,
      timestampValue: null,
      ageSeconds: null,
    },
    {
      outcome: "invalid",
      scheme: "stripe",
      reason: 'quote " backslash \\ newline \n \u0000 é 🎉',
      timestamp: 10 ** 14,
      timestampValue: "\u2028",
      ageSeconds: 5,
    },
    {
      outcome: "invalid",
      scheme: "slack",
      reason: "malformed",
      timestamp: null,
      timestampValue: "soon",
      ageSeconds: null,
    },
    { outcome: "unverifiable", scheme: null, reason: "no signature header found", code: "no-signature" },
  ];
  it("writes exactly what JSON.stringify writes for the same result", () => {
    for (const result of results) {
      for (const id of [undefined, 'req "1"']) {
        expect(lineJson(7, id, result)).toBe(JSON.stringify(numbered(7, id, resultJson(result))));
      }
    }
  });
});
