/** The signature schemes hookctl speaks. `standard-webhooks` is accepted as an alias of `standard`. */
export type SchemeName = "hookctl" | "standard" | "svix" | "stripe" | "github" | "slack" | "shopify";

export interface SignInput {
  scheme: SchemeName;
  /** The exact bytes sent; never re-serialized. */
  body: Uint8Array;
  /** Secrets as the user wrote them (`whsec_…`, `whsk_…`, plain strings); the first is primary. */
  secrets: readonly string[];
  /** Message / delivery id (standard, svix, hookctl headers). */
  id: string;
  /** Unix seconds. */
  timestamp: number;
}

export interface SignResult {
  scheme: SchemeName;
  /** Header name -> value, in the casing the provider uses. */
  headers: Record<string, string>;
  /** Name of the header that carries the signature itself (for `--format value`). */
  signatureHeader: string;
}

export interface VerifyInput {
  scheme: SchemeName | "auto";
  body: Uint8Array;
  /** Header names in any case; values as received. */
  headers: Record<string, string>;
  secrets: readonly string[];
  /** Allowed clock skew in seconds, both directions; 0 disables the check. */
  toleranceSeconds: number;
  /** Unix seconds to judge timestamps at. */
  nowSeconds: number;
}

/**
 * valid: some signature matched some secret. invalid: not authentic (mismatch, stale or future
 * timestamp, malformed signature value). unverifiable: could not check at all (no secret, no
 * signature header, scheme ambiguous); the CLI maps this to exit 2.
 */
export type VerifyResult =
  | {
      outcome: "valid";
      scheme: SchemeName;
      /** 0-based index into `secrets` of the one that matched. */
      secretIndex: number;
      timestamp: number | null;
      ageSeconds: number | null;
    }
  | {
      outcome: "invalid";
      scheme: SchemeName;
      reason: string;
      timestamp: number | null;
      ageSeconds: number | null;
    }
  | {
      outcome: "unverifiable";
      scheme: SchemeName | null;
      reason: string;
      /** Why, for callers that suggest a next step (never match on `reason`'s text). */
      code?: UnverifiableCode;
    };

/**
 * no-secret: none given. no-signature: no signature header (auto: none of any scheme).
 * ambiguous: auto saw several schemes' headers. missing-header: the scheme needs another header
 * (id, timestamp). bad-secret: a secret this scheme cannot use. unknown-scheme: not a scheme.
 */
export type UnverifiableCode =
  | "no-secret"
  | "no-signature"
  | "ambiguous"
  | "missing-header"
  | "bad-secret"
  | "unknown-scheme";
