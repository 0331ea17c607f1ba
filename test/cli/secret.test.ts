import { describe, expect, it } from "vitest";
import { generatedKeyPair, generatedSecret, signResult } from "../../src/contract/schema/tools.js";
import { runCli } from "../helpers/context.js";
import { shaped } from "../helpers/contract.js";

describe("hookctl secret generate", () => {
  it("prints whsec_ + base64 of 32 random bytes, different each time", async () => {
    const first = await runCli(["secret", "generate"]);
    const second = await runCli(["secret", "generate"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^whsec_[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(first.stdout.trim().slice(6), "base64")).toHaveLength(32);
    expect(second.stdout).not.toBe(first.stdout);
    expect(first.stderr).toBe("");
  });

  it("takes --bytes and --prefix", async () => {
    const result = await runCli(["secret", "generate", "--bytes", "24", "--prefix", ""]);
    expect(Buffer.from(result.stdout.trim(), "base64")).toHaveLength(24);
    expect((await runCli(["secret", "generate", "--prefix", "sk_"])).stdout).toMatch(/^sk_/);
  });

  it("prints JSON with --format json or --json", async () => {
    for (const flag of [["--format", "json"], ["--json"]]) {
      const result = await runCli(["secret", "generate", ...flag]);
      const parsed = shaped(generatedSecret, JSON.parse(result.stdout));
      expect(parsed).toEqual({ secret: expect.stringMatching(/^whsec_/), bytes: 32 });
    }
  });

  it("warns on stderr when the secret is short", async () => {
    const result = await runCli(["secret", "generate", "--bytes", "8"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/weak/);
  });

  it("makes an ed25519 key pair that signs and verifies", async () => {
    const result = await runCli(["secret", "generate", "--ed25519", "--json"]);
    const { secretKey, publicKey } = shaped(generatedKeyPair, JSON.parse(result.stdout));
    expect(secretKey).toMatch(/^whsk_/);
    expect(publicKey).toMatch(/^whpk_/);
    const signed = await runCli([
      "sign",
      "--data",
      "hi",
      "--scheme",
      "standard",
      "--secret",
      secretKey,
      "--json",
    ]);
    const { headers } = shaped(signResult, JSON.parse(signed.stdout));
    expect(headers.map((h) => h.name)).toEqual(["webhook-id", "webhook-timestamp", "webhook-signature"]);
    const args = headers.flatMap(({ name, value }) => ["-H", `${name}: ${value}`]);
    const verified = await runCli(["verify", "--data", "hi", "--secret", publicKey, ...args]);
    expect(verified.stdout).toMatch(/^valid: standard signature, secret #1, timestamp \d+s old\n$/);
    const text = await runCli(["secret", "generate", "--ed25519"]);
    expect(text.stdout).toMatch(/^secret key \(signs\): +whsk_\S+\npublic key \(verifies\): whpk_\S+\n$/);
  });

  it("refuses bad sizes and --ed25519 with --bytes, in one line with exit 2", async () => {
    for (const args of [
      ["--bytes", "0"],
      ["--bytes", "abc"],
      ["--bytes", "2000"],
      ["--ed25519", "--bytes", "16"],
    ]) {
      const result = await runCli(["secret", "generate", ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
  });

  it("--help documents the flags with examples", async () => {
    const result = await runCli(["secret", "generate", "--help"]);
    for (const text of ["--bytes", "--prefix", "--format", "--ed25519", "Examples:"])
      expect(result.stdout).toContain(text);
  });
});
