import { createHmac } from "node:crypto";
import { safeEqual } from "./compare.js";

/**
 * HMAC-SHA256 of `prefix` then `body`, without copying the body into a new buffer. Strings are
 * hashed as their UTF-8 bytes.
 */
export function hmacSha256(key: Uint8Array, prefix: string | Uint8Array, body?: string | Uint8Array): Buffer {
  const mac = createHmac("sha256", key).update(prefix);
  return (body === undefined ? mac : mac.update(body)).digest();
}

/** The same HMAC as base64 text (no Buffer for the digest). */
export function hmacSha256Base64(key: Uint8Array, prefix: string, body: string | Uint8Array): string {
  return createHmac("sha256", key).update(prefix).update(body).digest("base64");
}

/**
 * The index of the first key whose digest equals one of the candidate signatures, or -1.
 * Every candidate is compared against every key in constant time (rotation: any pair may match).
 */
export function firstMatch(
  keys: readonly Uint8Array[],
  candidates: readonly Uint8Array[],
  digest: (key: Uint8Array) => Uint8Array,
): number {
  for (let i = 0; i < keys.length; i++) {
    const expected = digest(keys[i] as Uint8Array);
    for (const candidate of candidates) {
      if (safeEqual(expected, candidate)) return i;
    }
  }
  return -1;
}
