import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sign } from "../../src/signing/index.js";
import { capturedRequest, logWith } from "../helpers/captured.js";
import { runCli } from "../helpers/context.js";
import { tempDir } from "../helpers/tmp.js";

const T = 1_700_000_000;
const now = () => T * 1000;
const secret = "whsec_c2VjcmV0LWEtMTIzNDU2Nzg5MA==";
const body = '{"type":"order.created","total":12345678901234567890}';
const signed = (data: string | Buffer = body) =>
  sign({ scheme: "standard", body: Buffer.from(data), secrets: [secret], id: "msg_1", timestamp: T }).headers;

/** Write `files` into a fresh directory and run `verify` there. */
async function verifyIn(files: Record<string, string | Buffer>, args: string[], stdin?: string) {
  const dir = tempDir();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return runCli(["verify", "--secret", secret, ...args], { cwd: dir, now, stdin });
}

const valid = "valid: standard signature, secret #1, timestamp 0s old\n";

describe("hookctl verify --headers-file", () => {
  it("reads a JSON header list, and an object whose values are strings, numbers or lists", async () => {
    const headers = signed();
    const list = Object.entries(headers).map(([name, value]) => ({ name, value }));
    const numeric = { ...headers, "webhook-timestamp": T };
    const repeated = {
      ...headers,
      "webhook-signature": [`v1,${Buffer.alloc(32).toString("base64")}`, headers["webhook-signature"]],
    };
    for (const content of [list, numeric, repeated]) {
      const result = await verifyIn({ "h.json": JSON.stringify(content), "body.json": body }, [
        "body.json",
        "--headers-file",
        "h.json",
      ]);
      expect(result).toEqual({ code: 0, stdout: valid, stderr: "" });
    }
  });

  it("keeps repeated lines of a raw header block", async () => {
    const headers = signed();
    const block = [
      "POST /hooks HTTP/1.1",
      `webhook-id: ${headers["webhook-id"]}`,
      `webhook-timestamp: ${T}`,
      `webhook-signature: v1,${Buffer.alloc(32).toString("base64")}`,
      `webhook-signature: ${headers["webhook-signature"]}`,
      "",
      body,
    ].join("\r\n");
    const result = await verifyIn({ "dump.txt": block }, ["--data", body, "--headers-file", "dump.txt"]);
    expect(result).toEqual({ code: 0, stdout: valid, stderr: "" });
  });

  it("-H and --signature win over the file's header of the same name (any case)", async () => {
    const headers = signed();
    const stale = { ...headers, "webhook-signature": `v1,${Buffer.alloc(32).toString("base64")}` };
    const files = { "h.json": JSON.stringify(stale) };
    const withFlag = await verifyIn(files, [
      "--data",
      body,
      "--headers-file",
      "h.json",
      "-H",
      `Webhook-Signature: ${headers["webhook-signature"]}`,
    ]);
    expect(withFlag.stdout).toBe(valid);
    const withSignature = await verifyIn(files, [
      "--data",
      body,
      "--headers-file",
      "h.json",
      "--signature",
      headers["webhook-signature"] as string,
    ]);
    expect(withSignature.stdout).toBe(valid);
  });

  describe("the request `log received show --json` prints, taken as it is", () => {
    async function shown(record: { body: Buffer; headers: [string, string][] }): Promise<string> {
      const db = logWith(capturedRequest({ id: "rcv_01JD0000000000000000SHOWN1", ...record }));
      const result = await runCli(["--db", db, "log", "received", "show", "SHOWN1", "--json"]);
      expect(result.code).toBe(0);
      return result.stdout;
    }

    it("uses the capture's headers and, with no payload given, its body (text or base64)", async () => {
      const text = await shown({ body: Buffer.from(body), headers: Object.entries(signed()) });
      const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x1b]);
      const binary = await shown({ body: bytes, headers: Object.entries(signed(bytes)) });
      expect(JSON.parse(binary)).toMatchObject({ body: null, bodyBase64: bytes.toString("base64") });
      for (const capture of [text, binary]) {
        const result = await verifyIn({ "request.json": capture }, ["--headers-file", "request.json"]);
        expect(result).toEqual({ code: 0, stdout: valid, stderr: "" });
      }
    });

    it("a payload given explicitly wins over the capture's body", async () => {
      const capture = await shown({ body: Buffer.from(body), headers: Object.entries(signed()) });
      const other = await verifyIn({ "request.json": capture }, [
        "--headers-file",
        "request.json",
        "--data",
        "{}",
      ]);
      expect(other).toEqual({
        code: 1,
        stdout: "invalid: signature does not match any secret\n",
        stderr: "",
      });
      const piped = await verifyIn(
        { "request.json": capture },
        ["--headers-file", "request.json", "-"],
        "{}",
      );
      expect(piped.code).toBe(1);
    });
  });

  describe("bad input: one line on stderr naming what is wrong, exit 2", () => {
    const cases: [string, string, RegExp][] = [
      [
        "an object value",
        '{"X-Signature": {}}',
        /^hookctl: h\.json: X-Signature: expected string or number or array, got object — /,
      ],
      [
        "a list item without a value",
        '[{"name": "X-Signature"}]',
        /^hookctl: h\.json: \[0\]\.value: required \(string\) — /,
      ],
      ["a list of numbers", "[1, 2]", /^hookctl: h\.json: \[0\]: expected object, got number — /],
      [
        "a list value that is a number",
        '[{"name": "X-Signature", "value": 3}]',
        /^hookctl: h\.json: \[0\]\.value: expected string, got number — /,
      ],
      [
        "a repeated value that is not text",
        '{"X-Signature": ["ab", 1]}',
        /^hookctl: h\.json: X-Signature(\[1\])?: expected/,
      ],
      [
        "JSON that does not parse",
        '{"X-Signature": ',
        /^hookctl: h\.json is not valid JSON \(.+\) — give a JSON header list/,
      ],
      ["an empty file", "  \n\n", /^hookctl: h\.json is empty — /],
      [
        "a raw line without a colon",
        "X-Signature ab\n",
        /^hookctl: h\.json: cannot read header line "X-Signature ab" — /,
      ],
      [
        "a capture with both body fields",
        '{"headers": [], "body": "x", "bodyBase64": "eA=="}',
        /^hookctl: h\.json: give "body" or "bodyBase64", not both — /,
      ],
      [
        "a capture whose bodyBase64 is not base64",
        '{"headers": [], "bodyBase64": "%%%"}',
        /^hookctl: h\.json: bodyBase64: not base64 — /,
      ],
      [
        "a capture whose headers are pairs",
        '{"headers": [["X-Signature", "ab"]], "body": "x"}',
        /^hookctl: h\.json: headers\[0\]: expected object, got array — /,
      ],
    ];
    for (const [name, content, message] of cases) {
      it(name, async () => {
        const result = await verifyIn({ "h.json": content }, ["--data", body, "--headers-file", "h.json"]);
        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
        expect(result.stderr).toMatch(message);
      });
    }

    it("with --json, the result object names the fault too", async () => {
      const result = await verifyIn({ "h.json": '{"X-Signature": {}}' }, [
        "--json",
        "--data",
        body,
        "--headers-file",
        "h.json",
      ]);
      expect(result.code).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({
        outcome: "unverifiable",
        code: "bad-input",
        reason: "h.json: X-Signature: expected string or number or array, got object",
      });
    });
  });
});
