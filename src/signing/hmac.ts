import { createHmac } from "node:crypto";
import { safeEqual } from "./compare.js";

/** HMAC-SHA256 over the concatenation of parts, without copying the body into a new buffer. */
export function hmacSha256(key: Uint8Array, ...parts: (string | Uint8Array)[]): Buffer {
  const mac = createHmac("sha256", key);
  for (const part of parts) mac.update(part);
  return mac.digest();
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
