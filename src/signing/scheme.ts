import type { HeaderMap } from "./headers.js";
import type { SchemeName, SignInput, UnverifiableCode, VerifyResult } from "./types.js";

/** What a scheme's verify sees: headers already lower-cased, secrets non-empty. */
export interface VerifyRequest {
  body: Uint8Array;
  headers: HeaderMap;
  secrets: readonly string[];
  toleranceSeconds: number;
  nowSeconds: number;
}

/** One provider's way of signing. Schemes throw SigningError for secrets they cannot use. */
export interface Scheme {
  readonly name: SchemeName;
  /** The header that carries the signature, in the provider's casing. */
  readonly signatureHeader: string;
  sign(input: SignInput): Record<string, string>;
  verify(request: VerifyRequest): VerifyResult;
}

export function valid(
  scheme: SchemeName,
  secretIndex: number,
  timestamp: number | null,
  nowSeconds: number,
): VerifyResult {
  return { outcome: "valid", scheme, secretIndex, timestamp, ageSeconds: age(timestamp, nowSeconds) };
}

export function invalid(
  scheme: SchemeName,
  reason: string,
  timestamp: number | null,
  nowSeconds: number,
): VerifyResult {
  return { outcome: "invalid", scheme, reason, timestamp, ageSeconds: age(timestamp, nowSeconds) };
}

export function unverifiable(
  scheme: SchemeName | null,
  code: UnverifiableCode,
  reason: string,
): VerifyResult {
  return { outcome: "unverifiable", scheme, reason, code };
}

function age(timestamp: number | null, nowSeconds: number): number | null {
  return timestamp === null ? null : nowSeconds - timestamp;
}

export const mismatch = "signature does not match any secret";
