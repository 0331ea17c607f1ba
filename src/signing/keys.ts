import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { decodeBase64 } from "./encoding.js";
import { SigningError } from "./errors.js";

/** What one Standard Webhooks / Svix secret turns out to be. */
export type StandardKey =
  | { kind: "hmac"; key: Buffer }
  | { kind: "ed25519-secret"; privateKey: KeyObject; publicKey: KeyObject }
  | { kind: "ed25519-public"; publicKey: KeyObject };

// DER headers that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI), so node:crypto
// can import keys in the raw form the Standard Webhooks spec prints after whsk_/whpk_.
const pkcs8Prefix = Buffer.from("302e020100300506032b657004220420", "hex");
const spkiPrefix = Buffer.from("302a300506032b6570032100", "hex");

/** Keys are derived once per secret: a --batch run checks thousands of messages with the same few. */
const cache = new Map<string, StandardKey>();

function label(index: number): string {
  return `secret #${index + 1}`;
}

/**
 * A secret for the schemes that key HMAC with the secret's UTF-8 bytes (hookctl, github, slack,
 * shopify, and stripe, which uses the whole `whsec_…` string).
 */
export function utf8Key(secret: string, index: number): Buffer {
  if (secret === "") throw new SigningError(`${label(index)} is empty`);
  if (secret.startsWith("whsk_") || secret.startsWith("whpk_")) {
    throw new SigningError(
      `${label(index)} is an ed25519 key; only the standard and svix schemes use whsk_/whpk_ keys`,
    );
  }
  return Buffer.from(secret, "utf8");
}

/** A Standard Webhooks secret: `whsec_<base64>` (HMAC), `whsk_<base64>` or `whpk_<base64>` (ed25519). */
export function standardKey(secret: string, index: number): StandardKey {
  const cached = cache.get(secret);
  if (cached) return cached;
  const key = parseStandardKey(secret, index);
  if (cache.size >= 64) cache.clear();
  cache.set(secret, key);
  return key;
}

function parseStandardKey(secret: string, index: number): StandardKey {
  if (secret.startsWith("whsk_")) {
    const raw = decodeBase64(secret.slice(5));
    // 32 bytes is the seed; 64 is libsodium's seed || public key.
    if (!raw || (raw.length !== 32 && raw.length !== 64)) {
      throw new SigningError(`${label(index)} is not a whsk_ key (base64 of a 32-byte ed25519 seed)`);
    }
    const privateKey = ed25519PrivateKey(raw.subarray(0, 32));
    return { kind: "ed25519-secret", privateKey, publicKey: createPublicKey(privateKey) };
  }
  if (secret.startsWith("whpk_")) {
    const raw = decodeBase64(secret.slice(5));
    if (raw?.length !== 32) {
      throw new SigningError(`${label(index)} is not a whpk_ key (base64 of a 32-byte ed25519 public key)`);
    }
    return { kind: "ed25519-public", publicKey: ed25519PublicKey(raw) };
  }
  const encoded = secret.startsWith("whsec_") ? secret.slice(6) : secret;
  const key = decodeBase64(encoded);
  if (!key || key.length === 0) {
    throw new SigningError(`${label(index)} is not a whsec_ secret (whsec_ followed by base64)`);
  }
  return { kind: "hmac", key };
}

/** A KeyObject for a raw 32-byte ed25519 seed. */
export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([pkcs8Prefix, seed]), format: "der", type: "pkcs8" });
}

/** A KeyObject for a raw 32-byte ed25519 public key. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: "der", type: "spki" });
}

/** The raw 32 bytes of an ed25519 public key (the tail of its SPKI encoding). */
export function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" }).subarray(spkiPrefix.length);
}
