import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { signResult } from "../../src/contract/schema/tools.js";
import { runCli } from "../helpers/context.js";
import { headerValue, shaped } from "../helpers/contract.js";
import { tempDir } from "../helpers/tmp.js";

const T = 1_700_000_000;
const now = () => T * 1000 + 250;
const standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const fixed = ["--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330"];

function expectUsageError(result: { code: number; stdout: string; stderr: string }, message: RegExp) {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(result.stderr).toMatch(message);
}

describe("hookctl sign", () => {
  it("prints Name: value lines by default (hookctl scheme)", async () => {
    const result = await runCli([
      "sign",
      "--data",
      "Hello, World!",
      "--secret",
      "It's a Secret to Everybody",
      "--id",
      "dlv_1",
      "--timestamp",
      "1700000000",
    ]);
    expect(result).toEqual({
      code: 0,
      stdout:
        "X-Signature: 757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17\nX-Webhook-Delivery-ID: dlv_1\nX-Webhook-Timestamp: 1700000000\n",
      stderr: "",
    });
  });

  it("prints JSON with --format json or --json", async () => {
    const args = [
      "sign",
      "--data",
      '{"test": 2432232314}',
      "--scheme",
      "standard",
      "--secret",
      standardSecret,
      ...fixed,
    ];
    const expected = {
      scheme: "standard",
      headers: [
        { name: "webhook-id", value: "msg_p5jXN8AQM9LWM0D4loKWxJek" },
        { name: "webhook-timestamp", value: "1614265330" },
        { name: "webhook-signature", value: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
      ],
    };
    for (const extra of [["--format", "json"], ["--json"]]) {
      const result = await runCli([...args, ...extra]);
      expect(result.code).toBe(0);
      expect(shaped(signResult, JSON.parse(result.stdout))).toEqual(expected);
    }
  });

  it("prints the signature value alone with --format value", async () => {
    const result = await runCli([
      "sign",
      "--data",
      "Hello, World!",
      "--scheme",
      "github",
      "--secret",
      "It's a Secret to Everybody",
      "--format",
      "value",
    ]);
    expect(result.stdout).toBe("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17\n");
  });

  it("reads the payload from piped stdin, from -, and from a file, byte for byte", async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x41, 0x0a]);
    const dir = tempDir();
    writeFileSync(join(dir, "body.bin"), bytes);
    const base = ["sign", "--secret", "k", "--format", "value"];
    const piped = await runCli(base, { stdin: bytes });
    const dash = await runCli([...base, "-"], { stdin: bytes });
    const file = await runCli([...base, "body.bin"], { cwd: dir });
    expect(piped.code).toBe(0);
    expect(dash.stdout).toBe(piped.stdout);
    expect(file.stdout).toBe(piped.stdout);
  });

  it("accepts standard-webhooks as an alias and signs once per secret from HOOKCTL_SECRET", async () => {
    const second = "whsec_c2Vjb25kLXNlY3JldC1rZXk=";
    const result = await runCli(
      [
        "sign",
        "--data",
        '{"test": 2432232314}',
        "--scheme",
        "standard-webhooks",
        ...fixed,
        "--format",
        "value",
      ],
      { env: { HOOKCTL_SECRET: `${standardSecret} ${second}` } },
    );
    expect(result.code).toBe(0);
    const entries = result.stdout.trim().split(" ");
    expect(entries).toHaveLength(2);
    expect(entries[0]).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("reads secrets from --secret-file, one per line", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "secrets.txt"), "# rotation\nwhsec_one\nwhsec_two\n");
    const result = await runCli(
      [
        "sign",
        "--data",
        "x",
        "--scheme",
        "stripe",
        "--secret-file",
        "secrets.txt",
        "--timestamp",
        "1",
        "--format",
        "value",
      ],
      { cwd: dir },
    );
    expect(result.stdout).toMatch(/^t=1,v1=[0-9a-f]{64},v1=[0-9a-f]{64}\n$/);
  });

  it("defaults the id to a fresh dlv_ ULID and the timestamp to now", async () => {
    const result = await runCli(["sign", "--data", "x", "--secret", "k", "--json"], { now });
    const { headers } = shaped(signResult, JSON.parse(result.stdout));
    expect(headerValue(headers, "X-Webhook-Delivery-ID")).toMatch(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(headerValue(headers, "X-Webhook-Timestamp")).toBe(String(T));
  });

  it("signs an ed25519 v1a signature with a whsk_ key", async () => {
    const seed = Buffer.alloc(32, 7).toString("base64");
    const result = await runCli([
      "sign",
      "--data",
      "x",
      "--scheme",
      "standard",
      "--secret",
      `whsk_${seed}`,
      "--format",
      "value",
    ]);
    expect(result.stdout).toMatch(/^v1a,[A-Za-z0-9+/]{86}==\n$/);
  });

  it("--help documents the flags with examples", async () => {
    const result = await runCli(["sign", "--help"]);
    expect(result.code).toBe(0);
    for (const flag of [
      "--scheme",
      "--id",
      "--timestamp",
      "--format",
      "--secret",
      "--secret-file",
      "--data",
      "Examples:",
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });

  describe("bad input: one line on stderr, exit 2", () => {
    it("no secret", async () => {
      expectUsageError(
        await runCli(["sign", "--data", "x"]),
        /^hookctl: no secret to sign with — pass --secret/,
      );
    });
    it("unknown scheme", async () => {
      expectUsageError(
        await runCli(["sign", "--data", "x", "--secret", "k", "--scheme", "paypal"]),
        /paypal/,
      );
    });
    it("a whpk_ public key to sign with", async () => {
      const key = `whpk_${Buffer.alloc(32, 1).toString("base64")}`;
      expectUsageError(
        await runCli(["sign", "--data", "x", "--secret", key, "--scheme", "standard"]),
        /secret #1 is a whpk_ public key/,
      );
    });
    it("a secret standard cannot decode", async () => {
      expectUsageError(
        await runCli(["sign", "--data", "x", "--secret", "It's a secret", "--scheme", "svix"]),
        /secret #1 is not a whsec_ secret/,
      );
    });
    it("no payload (stdin is a terminal)", async () => {
      expectUsageError(await runCli(["sign", "--secret", "k"]), /no payload given/);
    });
    it("a missing payload file", async () => {
      expectUsageError(
        await runCli(["sign", "nope.json", "--secret", "k"], { cwd: tempDir() }),
        /cannot read payload file nope.json \(ENOENT\)/,
      );
    });
    it("a timestamp that is not whole seconds", async () => {
      expectUsageError(
        await runCli(["sign", "--data", "x", "--secret", "k", "--timestamp", "soon"]),
        /--timestamp/,
      );
    });
    it("an unknown format", async () => {
      expectUsageError(
        await runCli(["sign", "--data", "x", "--secret", "k", "--format", "yaml"]),
        /--format/,
      );
    });
  });
});
