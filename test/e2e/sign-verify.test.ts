import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyResult } from "../../src/contract/schema/verify.js";
import { runBin } from "../helpers/bin.js";
import { shaped } from "../helpers/contract.js";
import { tempDir } from "../helpers/tmp.js";

// The built binary, as CI scripts run it (`npm test` builds first).
const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const vector = { id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", body: '{"test": 2432232314}' };
const vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

function headerFlags(lines: string): string[] {
  return lines
    .trim()
    .split("\n")
    .flatMap((line) => ["-H", line]);
}

describe("hookctl sign | verify (built binary)", () => {
  it("sign --format header output feeds verify -H, exit 0", async () => {
    const signed = await runBin(["sign", "--data", vector.body, "--scheme", "standard", "--secret", secret]);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toMatch(
      /^webhook-id: dlv_\w{26}\nwebhook-timestamp: \d+\nwebhook-signature: v1,\S+\n$/,
    );
    const verified = await runBin(["verify", "--secret", secret, ...headerFlags(signed.stdout)], {
      input: vector.body,
    });
    expect(verified).toMatchObject({ code: 0, stderr: "" });
    expect(verified.stdout).toMatch(/^valid: standard signature, secret #1, timestamp \d+s old\n$/);
  });

  it("reproduces the Standard Webhooks vector in each format", async () => {
    const base = [
      "sign",
      "--scheme",
      "standard",
      "--secret",
      secret,
      "--id",
      vector.id,
      "--timestamp",
      vector.timestamp,
    ];
    const value = await runBin([...base, "--format", "value"], { input: vector.body });
    expect(value.stdout).toBe(`${vectorSignature}\n`);
    const json = await runBin([...base, "--format", "json", "--data", vector.body]);
    expect(JSON.parse(json.stdout)).toEqual({
      scheme: "standard",
      headers: [
        { name: "webhook-id", value: vector.id },
        { name: "webhook-timestamp", value: vector.timestamp },
        { name: "webhook-signature", value: vectorSignature },
      ],
    });
    const header = await runBin([...base, "-"], { input: vector.body });
    expect(header.stdout).toBe(
      `webhook-id: ${vector.id}\nwebhook-timestamp: ${vector.timestamp}\nwebhook-signature: ${vectorSignature}\n`,
    );
  });

  it("exit codes: 0 valid, 1 not authentic, 2 could not check", async () => {
    const h = ["-H", `webhook-id: ${vector.id}`, "-H", `webhook-timestamp: ${vector.timestamp}`];
    const base = ["verify", "--data", vector.body, "--secret", secret, ...h];
    const valid = await runBin([
      ...base,
      "-H",
      `webhook-signature: ${vectorSignature}`,
      "--now",
      vector.timestamp,
    ]);
    expect(valid).toMatchObject({
      code: 0,
      stdout: "valid: standard signature, secret #1, timestamp 0s old\n",
    });
    const stale = await runBin([...base, "-H", `webhook-signature: ${vectorSignature}`]);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/^invalid: timestamp \d+s old \(tolerance 300s\)\n$/);
    const json = await runBin([
      ...base,
      "--json",
      "-H",
      "webhook-signature: v1,AAAA",
      "--now",
      vector.timestamp,
    ]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: false,
      reason: "signature does not match any secret",
    });
    const unknown = await runBin(["verify", "--data", vector.body, "--secret", secret]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    const unknownJson = await runBin(["verify", "--json", "--data", vector.body, "--secret", secret]);
    expect(unknownJson.code).toBe(2);
    expect(shaped(verifyResult, JSON.parse(unknownJson.stdout))).toMatchObject({
      outcome: "unverifiable",
      code: "no-signature",
    });
    expect(JSON.parse(unknownJson.stderr)).toMatchObject({
      error: { message: expect.stringMatching(/^no signature header found/), exitCode: 2 },
    });
    const missingId = await runBin([
      "verify",
      "--data",
      vector.body,
      "--secret",
      secret,
      "--scheme",
      "svix",
      "-H",
      `webhook-timestamp: ${vector.timestamp}`,
      "-H",
      `webhook-signature: ${vectorSignature}`,
    ]);
    expect(missingId).toMatchObject({
      code: 1,
      stdout: "invalid: no webhook-id header (svix signs id.timestamp.body)\n",
    });
  });

  it("--batch through stdin: one result per line, a malformed line is an error result", async () => {
    const line = (signature: string, extra = {}) =>
      JSON.stringify({
        headers: {
          "webhook-id": vector.id,
          "webhook-timestamp": vector.timestamp,
          "webhook-signature": signature,
        },
        body: vector.body,
        ...extra,
      });
    const input = `${line(vectorSignature, { id: "a" })}\n{"headers":\n${line("v1,AAAA")}\n`;
    const result = await runBin(["verify", "--batch", "--secret", secret, "--now", vector.timestamp], {
      input,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
    const results = result.stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text));
    expect(results.map((r) => [r.line, r.outcome])).toEqual([
      [1, "valid"],
      [2, "unverifiable"],
      [3, "invalid"],
    ]);
    expect(results[0].id).toBe("a");
    const allValid = await runBin(["verify", "--batch", "--secret", secret, "--now", vector.timestamp], {
      input: `${line(vectorSignature)}\n`,
    });
    expect(allValid.code).toBe(0);
  });

  it("secret generate makes a secret that sign and verify accept (via HOOKCTL_SECRET)", async () => {
    const generated = await runBin(["secret", "generate"]);
    const fresh = generated.stdout.trim();
    expect(fresh).toMatch(/^whsec_/);
    const env = { HOOKCTL_SECRET: fresh };
    const signed = await runBin(["sign", "--scheme", "svix", "--data", "hi"], { env });
    const verified = await runBin(["verify", "--data", "hi", ...headerFlags(signed.stdout)], { env });
    expect(verified.stdout).toMatch(/^valid: svix signature/);
  });

  it("reads headers from a pasted request dump", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "request.txt"),
      `POST /webhooks HTTP/1.1\nHost: example.test\nContent-Type: application/json\nwebhook-id: ${vector.id}\nwebhook-timestamp: ${vector.timestamp}\nwebhook-signature: ${vectorSignature}\n\n${vector.body}\n`,
    );
    writeFileSync(join(dir, "body.json"), vector.body);
    const result = await runBin(
      ["verify", "body.json", "--headers-file", "request.txt", "--secret", secret, "--tolerance", "0"],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^valid: standard signature, secret #1, timestamp \d+s old\n$/);
  });

  describe("bad input: exactly one line on stderr, exit 2, no stack trace", () => {
    const cases: [string, string[], string?][] = [
      ["sign without a secret", ["sign", "--data", "x"]],
      ["sign with an unknown scheme", ["sign", "--data", "x", "--secret", "k", "--scheme", "nope"]],
      ["sign with an unknown flag", ["sign", "--data", "x", "--secret", "k", "--formta", "json"]],
      ["sign with a missing file", ["sign", "/nonexistent/body.json", "--secret", "k"]],
      ["sign with a bad timestamp", ["sign", "--data", "x", "--secret", "k", "--timestamp", "-5"]],
      ["verify without headers", ["verify", "--data", "x", "--secret", "k"]],
      ["verify without a secret", ["verify", "--data", "x", "-H", "X-Signature: ab"]],
      [
        "verify with ambiguous headers",
        [
          "verify",
          "--data",
          "x",
          "--secret",
          "k",
          "-H",
          "X-Signature: ab",
          "-H",
          "X-Hub-Signature-256: sha256=ab",
        ],
      ],
      ["verify with a bad duration", ["verify", "--data", "x", "--secret", "k", "--tolerance", "5 minutes"]],
      [
        "verify with an unreadable headers file",
        ["verify", "--data", "x", "--secret", "k", "--headers-file", "/nonexistent"],
      ],
      ["verify --batch with a file", ["verify", "--batch", "--secret", "k", "body.json"], ""],
      [
        "verify --received with a payload",
        ["verify", "--received", "ABCDEF", "--secret", "k", "--data", "x"],
      ],
      [
        "verify --received against a log that is not there",
        ["--db", "/nonexistent/hookctl.db", "verify", "--received", "ABCDEF", "--secret", "k"],
      ],
      ["secret generate with a bad size", ["secret", "generate", "--bytes", "0"]],
    ];
    for (const [name, args, input] of cases) {
      it(name, async () => {
        const result = await runBin(args, { input });
        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        const lines = result.stderr.split("\n").filter(Boolean);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^hookctl: \S.* — \S/);
        expect(result.stderr).not.toMatch(/\n\s+at /);
      });
    }
  });
});
