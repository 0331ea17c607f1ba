import { createPublicKey, randomBytes as cryptoRandomBytes } from "node:crypto";
import { SigningError } from "./errors.js";
import { ed25519PrivateKey, rawPublicKey, standardKey } from "./keys.js";

export interface GenerateSecretOptions {
  /** Random bytes before encoding; default 32 (Standard Webhooks asks for 24 to 64). */
  bytes?: number;
  /** Default `whsec_`. */
  prefix?: string;
}

/** `whsec_` + base64 of fresh random bytes. Randomness is passed in so tests can fix it. */
export function generateSecret(
  randomBytes: (n: number) => Uint8Array,
  options: GenerateSecretOptions = {},
): string {
  const bytes = options.bytes ?? 32;
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
    throw new SigningError(`cannot make a secret of ${bytes} bytes (1 to 1024)`);
  }
  return `${options.prefix ?? "whsec_"}${Buffer.from(randomBytes(bytes)).toString("base64")}`;
}

export interface Ed25519KeyPair {
  /** `whsk_` + base64 of the 32-byte seed: signs (Standard Webhooks v1a). */
  secretKey: string;
  /** `whpk_` + base64 of the 32-byte public key: verifies, safe to hand out. */
  publicKey: string;
}

/** A Standard Webhooks v1a key pair from 32 random bytes. */
export function generateEd25519KeyPair(
  randomBytes: (n: number) => Uint8Array = cryptoRandomBytes,
): Ed25519KeyPair {
  const seed = Buffer.from(randomBytes(32));
  const publicKey = rawPublicKey(createPublicKey(ed25519PrivateKey(seed)));
  return { secretKey: `whsk_${seed.toString("base64")}`, publicKey: `whpk_${publicKey.toString("base64")}` };
}

/** The `whpk_` public key that verifies what a `whsk_` key signs. */
export function publicKeyFor(secretKey: string): string {
  const key = standardKey(secretKey, 0);
  if (key.kind !== "ed25519-secret") throw new SigningError("expected a whsk_ ed25519 secret key");
  return `whpk_${rawPublicKey(key.publicKey).toString("base64")}`;
}
