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
  /** The bytes received; a string stands for its UTF-8 bytes (a JSON line's `body`). */
  body: Uint8Array | string;
  /** Header names in any case; values as received. */
  headers: Record<string, string>;
  secrets: readonly string[];
  /** Allowed clock skew in seconds, both directions; 0 disables the check. */
  toleranceSeconds: number;
  /** Unix seconds to judge timestamps at. */
  nowSeconds: number;
}

/** The signed time a header carried: unix seconds, and the text as sent (for stripe, `t=`'s value). */
export interface SignedTime {
  /** Unix seconds; null when the scheme signs none or the value is not a timestamp. */
  timestamp: number | null;
  /** The value as sent, even when it is malformed; null when there was none. */
  timestampValue: string | null;
  /** now - timestamp, in seconds (negative: in the future); null without a timestamp. */
  ageSeconds: number | null;
}

/**
 * valid: some signature matched some secret. invalid: not authentic (mismatch, stale or future
 * timestamp, a missing or malformed signed header: what the provider's own library rejects).
 * unverifiable: could not check at all (no secret, no signature header under `auto`, scheme
 * ambiguous, a secret the scheme cannot use); the CLI maps this to exit 2.
 */
export type VerifyResult =
  | ({
      outcome: "valid";
      scheme: SchemeName;
      /** 0-based index into `secrets` of the one that matched. */
      secretIndex: number;
    } & SignedTime)
  | ({
      outcome: "invalid";
      scheme: SchemeName;
      reason: string;
    } & SignedTime)
  | {
      outcome: "unverifiable";
      scheme: SchemeName | null;
      reason: string;
      /** Why, for callers that suggest a next step (never match on `reason`'s text). */
      code: UnverifiableCode;
    };

/**
 * no-secret: none given. no-signature: `auto` found no scheme's signature header. ambiguous:
 * `auto` saw several schemes' headers. bad-secret: a secret this scheme cannot use.
 * unknown-scheme: not a scheme.
 */
export type UnverifiableCode = "no-secret" | "no-signature" | "ambiguous" | "bad-secret" | "unknown-scheme";
