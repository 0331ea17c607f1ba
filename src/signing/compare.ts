import { timingSafeEqual } from "node:crypto";

/**
 * Constant-time byte comparison. Lengths are public (every digest of a scheme has the same
 * length), so a length mismatch returns early; equal lengths go through timingSafeEqual.
 */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}

/**
 * Constant-time comparison of two texts of public length (base64 signatures): every character
 * is looked at whatever the others are, so the time says nothing about where they differ.
 */
export function safeEqualText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
