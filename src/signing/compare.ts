import { timingSafeEqual } from "node:crypto";

/**
 * Constant-time byte comparison. Lengths are public (every digest of a scheme has the same
 * length), so a length mismatch returns early; equal lengths go through timingSafeEqual.
 */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}
