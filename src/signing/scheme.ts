import type { HeaderMap } from "./headers.js";
import type { SchemeName, SignInput, UnverifiableCode, VerifyInput, VerifyResult } from "./types.js";

/** What a scheme's verify reads of the input (the caller's own object: no copy per message). */
export type VerifyRequest = Pick<VerifyInput, "body" | "secrets" | "toleranceSeconds" | "nowSeconds">;

/** One provider's way of signing. Schemes throw SigningError for secrets they cannot use. */
export interface Scheme {
  readonly name: SchemeName;
  /** The header that carries the signature, in the provider's casing. */
  readonly signatureHeader: string;
  /**
   * Lower-case headers that mark a request as this scheme's when its signature header is absent
   * (GitHub's legacy X-Hub-Signature): `auto` then picks the scheme, whose verify says why the
   * request is not authentic instead of "nothing to check".
   */
  readonly markers?: readonly string[];
  sign(input: SignInput): Record<string, string>;
  /**
   * Judges the request as the provider's own library does: a missing or malformed signed header
   * (signature, id, timestamp) makes it invalid.
   */
  verify(request: VerifyRequest, headers: HeaderMap): VerifyResult;
}

export function valid(
  scheme: SchemeName,
  secretIndex: number,
  timestamp: number | null,
  timestampValue: string | null,
  nowSeconds: number,
): VerifyResult {
  const ageSeconds = timestamp === null ? null : nowSeconds - timestamp;
  return { outcome: "valid", scheme, secretIndex, timestamp, timestampValue, ageSeconds };
}

export function invalid(
  scheme: SchemeName,
  reason: string,
  timestamp: number | null,
  timestampValue: string | null,
  nowSeconds: number,
): VerifyResult {
  const ageSeconds = timestamp === null ? null : nowSeconds - timestamp;
  return { outcome: "invalid", scheme, reason, timestamp, timestampValue, ageSeconds };
}

/** A signed header the request lacks: not authentic, as the provider's library would say. */
export function missing(scheme: SchemeName, header: string, why = ""): VerifyResult {
  return invalid(scheme, `no ${header} header${why}`, null, null, 0);
}

export function unverifiable(
  scheme: SchemeName | null,
  code: UnverifiableCode,
  reason: string,
): VerifyResult {
  return { outcome: "unverifiable", scheme, reason, code };
}

export const mismatch = "signature does not match any secret";
