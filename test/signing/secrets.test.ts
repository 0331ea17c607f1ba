import { createPublicKey, verify as edVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  generateEd25519KeyPair,
  generateSecret,
  publicKeyFor,
  SigningError,
  sign,
} from "../../src/signing/index.js";
import { check, T } from "./support.js";

/** Deterministic "randomness": byte i is (seed + i) mod 256. */
const counting =
  (seed = 0) =>
  (n: number) =>
    Uint8Array.from({ length: n }, (_, i) => (seed + i) % 256);

describe("generateSecret", () => {
  it("is whsec_ + base64 of 32 random bytes by default", () => {
    const secret = generateSecret(counting());
    expect(secret).toBe(`whsec_${Buffer.from(counting()(32)).toString("base64")}`);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
  });

  it("takes --bytes and --prefix", () => {
    expect(generateSecret(counting(), { bytes: 24, prefix: "" })).toBe(
      Buffer.from(counting()(24)).toString("base64"),
    );
    expect(generateSecret(counting(), { bytes: 3, prefix: "sk_" })).toBe("sk_AAEC");
  });

  it("refuses sizes outside 1..1024", () => {
    for (const bytes of [0, -1, 1.5, 1025])
      expect(() => generateSecret(counting(), { bytes })).toThrow(SigningError);
  });

  it("generated secrets sign and verify under standard", () => {
    const secret = generateSecret(counting(7));
    const body = Buffer.from("hi");
    const { headers } = sign({ scheme: "standard", body, secrets: [secret], id: "msg_1", timestamp: T });
    expect(check("standard", body, headers, [secret])).toMatchObject({ outcome: "valid" });
  });
});

describe("Standard Webhooks v1a (ed25519)", () => {
  const pair = generateEd25519KeyPair(counting(1));
  const body = Buffer.from('{"type":"invoice.paid"}');

  it("makes whsk_/whpk_ keys of 32 raw bytes each, and derives the public key from the secret key", () => {
    expect(pair.secretKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    expect(pair.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(publicKeyFor(pair.secretKey)).toBe(pair.publicKey);
  });

  it("signs with whsk_ as v1a,<base64> that node:crypto verifies over id.timestamp.body", () => {
    const { headers } = sign({
      scheme: "standard",
      body,
      secrets: [pair.secretKey],
      id: "msg_9",
      timestamp: T,
    });
    const value = headers["webhook-signature"] as string;
    expect(value).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    const spki = Buffer.concat([
      Buffer.from("302a300506032b6570032100", "hex"),
      Buffer.from(pair.publicKey.slice(5), "base64"),
    ]);
    const key = createPublicKey({ key: spki, format: "der", type: "spki" });
    const message = Buffer.concat([Buffer.from(`msg_9.${T}.`), body]);
    expect(edVerify(null, message, key, Buffer.from(value.slice(4), "base64"))).toBe(true);
  });

  it("verifies with the whpk_ public key (or the whsk_ key), and rejects tampering", () => {
    const { headers } = sign({
      scheme: "standard",
      body,
      secrets: [pair.secretKey],
      id: "msg_9",
      timestamp: T,
    });
    expect(check("standard", body, headers, [pair.publicKey])).toMatchObject({
      outcome: "valid",
      secretIndex: 0,
    });
    expect(check("auto", body, headers, [pair.secretKey])).toMatchObject({ outcome: "valid" });
    expect(check("standard", Buffer.from(`${body}x`), headers, [pair.publicKey])).toMatchObject({
      outcome: "invalid",
    });
    const other = generateEd25519KeyPair(counting(2));
    expect(check("standard", body, headers, [other.publicKey])).toMatchObject({ outcome: "invalid" });
  });

  it("mixes with whsec_ secrets during a migration: one v1 and one v1a signature", () => {
    const hmacSecret = generateSecret(counting(3));
    const { headers } = sign({
      scheme: "standard",
      body,
      secrets: [hmacSecret, pair.secretKey],
      id: "msg_9",
      timestamp: T,
    });
    expect((headers["webhook-signature"] as string).split(" ").map((entry) => entry.split(",")[0])).toEqual([
      "v1",
      "v1a",
    ]);
    expect(check("standard", body, headers, [pair.publicKey])).toMatchObject({ outcome: "valid" });
    expect(check("standard", body, headers, [hmacSecret])).toMatchObject({ outcome: "valid" });
  });

  it("accepts a 64-byte libsodium-style secret key (seed || public key)", () => {
    const seed = Buffer.from(pair.secretKey.slice(5), "base64");
    const long = `whsk_${Buffer.concat([seed, Buffer.from(pair.publicKey.slice(5), "base64")]).toString("base64")}`;
    const { headers } = sign({ scheme: "standard", body, secrets: [long], id: "m", timestamp: T });
    expect(check("standard", body, headers, [pair.publicKey])).toMatchObject({ outcome: "valid" });
  });

  it("refuses to sign with a public key, or with ed25519 keys outside the standard and svix schemes", () => {
    const input = { body, id: "m", timestamp: T };
    expect(() => sign({ ...input, scheme: "standard", secrets: [pair.publicKey] })).toThrow(
      "secret #1 is a whpk_ public key; sign with its whsk_ secret key",
    );
    expect(() => sign({ ...input, scheme: "github", secrets: [pair.secretKey] })).toThrow(
      "secret #1 is an ed25519 key; only the standard and svix schemes use whsk_/whpk_ keys",
    );
    // Svix's headers carry Standard Webhooks' signatures, v1a included.
    expect(sign({ ...input, scheme: "svix", secrets: [pair.secretKey] }).headers["svix-signature"]).toMatch(
      /^v1a,/,
    );
    expect(
      check("github", body, { "X-Hub-Signature-256": `sha256=${"0".repeat(64)}` }, [pair.publicKey]),
    ).toMatchObject({ outcome: "unverifiable", code: "bad-secret" });
  });

  it("rejects malformed keys", () => {
    for (const secret of ["whsk_AAAA", "whpk_not-base64!", `whpk_${Buffer.alloc(31).toString("base64")}`]) {
      expect(
        check(
          "standard",
          body,
          { "webhook-id": "m", "webhook-timestamp": String(T), "webhook-signature": "v1a,AAAA" },
          [secret],
        ),
      ).toMatchObject({
        outcome: "unverifiable",
        code: "bad-secret",
      });
    }
  });
});

describe("sign preconditions", () => {
  it("needs a secret and a whole, non-negative timestamp", () => {
    const input = { scheme: "hookctl" as const, body: Buffer.from("x"), id: "d" };
    expect(() => sign({ ...input, secrets: [], timestamp: T })).toThrow("no secret to sign with");
    expect(() => sign({ ...input, secrets: ["k"], timestamp: 1.5 })).toThrow(SigningError);
    expect(() => sign({ ...input, secrets: ["k"], timestamp: -1 })).toThrow(SigningError);
    expect(() => sign({ ...input, secrets: [""], timestamp: T })).toThrow("secret #1 is empty");
  });
});
