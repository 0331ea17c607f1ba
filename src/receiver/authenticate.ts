import { verify } from "../signing/index.js";
import type { SchemeName } from "../signing/types.js";
import type { Verification } from "./types.js";

export interface AuthOptions {
  secrets: readonly string[];
  scheme: SchemeName | "auto";
  toleranceSeconds: number;
}

const unverified: Verification = { status: "unverified", scheme: null, reason: null, secretIndex: null };

/**
 * Check a request's signature. With no secrets nothing is checked (unverified). With secrets, a
 * request that cannot be checked at all (no signature header) is as unauthentic as a forged one.
 */
export function authenticate(
  options: AuthOptions,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Uint8Array,
  nowMs: number,
): Verification {
  if (options.secrets.length === 0) return unverified;
  const result = verify({
    scheme: options.scheme,
    body,
    headers: flatten(headers),
    secrets: options.secrets,
    toleranceSeconds: options.toleranceSeconds,
    nowSeconds: Math.floor(nowMs / 1000),
  });
  if (result.outcome === "valid") {
    return { status: "verified", scheme: result.scheme, reason: null, secretIndex: result.secretIndex };
  }
  return { status: "invalid", scheme: result.scheme, reason: result.reason, secretIndex: null };
}

function flatten(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  // node joins repeated headers into one string except set-cookie: without it, no copy is needed.
  if (headers["set-cookie"] === undefined) return headers as Record<string, string>;
  const flat: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}
