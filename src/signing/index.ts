import { detectIn, guessSchemeFromSignature, pickScheme } from "./detect.js";
import { SigningError } from "./errors.js";
import { headerMap } from "./headers.js";
import { schemes } from "./registry.js";
import { unverifiable } from "./scheme.js";
import type { SchemeName, SignInput, SignResult, VerifyInput, VerifyResult } from "./types.js";

export { SigningError } from "./errors.js";
export {
  type Ed25519KeyPair,
  type GenerateSecretOptions,
  generateEd25519KeyPair,
  generateSecret,
  publicKeyFor,
} from "./secrets.js";
export type {
  SchemeName,
  SignedTime,
  SignInput,
  SignResult,
  UnverifiableCode,
  VerifyInput,
  VerifyResult,
} from "./types.js";

/** Every scheme, in the order help and completion list them. */
export const schemeNames: readonly SchemeName[] = Object.keys(schemes) as SchemeName[];

const aliases: Readonly<Record<string, SchemeName>> = { "standard-webhooks": "standard" };

/** A scheme name as a user typed it (any case; `standard-webhooks` means `standard`). */
export function parseSchemeName(text: string): SchemeName | undefined {
  const name = text.trim().toLowerCase();
  if ((schemeNames as readonly string[]).includes(name)) return name as SchemeName;
  return aliases[name];
}

/** Which schemes' signature headers are present (names in any case). */
export function detectSchemes(headers: Record<string, string>): SchemeName[] {
  return detectIn(headerMap(headers));
}

/** The scheme a bare signature value belongs to, judged by its shape (for `verify --signature`). */
export function schemeForSignatureValue(
  value: string,
  headers: Record<string, string>,
): SchemeName | undefined {
  return guessSchemeFromSignature(value, headerMap(headers));
}

/** The signature header name a scheme uses, in the provider's casing. */
export function signatureHeaderOf(scheme: SchemeName): string {
  return schemes[scheme].signatureHeader;
}

/**
 * The headers that sign `body`. Schemes whose header carries several signatures (standard,
 * svix, stripe) include one per secret; the others sign with the first.
 * @throws SigningError when there is no secret or a secret does not suit the scheme.
 */
export function sign(input: SignInput): SignResult {
  const scheme = schemes[input.scheme];
  if (!scheme) throw new SigningError(`unknown scheme ${JSON.stringify(input.scheme)}`);
  if (input.secrets.length === 0) throw new SigningError("no secret to sign with");
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) {
    throw new SigningError(`timestamp ${input.timestamp} is not unix seconds`);
  }
  return { scheme: scheme.name, headers: scheme.sign(input), signatureHeader: scheme.signatureHeader };
}

/**
 * Check a payload against its headers. Never throws for bad input: a forged or stale message, or
 * one missing or garbling a header its scheme signs, is `invalid`; anything that prevents checking
 * at all (no secret, no signature header under `auto`, an ambiguous `auto`, a secret the scheme
 * cannot use) is `unverifiable`.
 */
export function verify(input: VerifyInput): VerifyResult {
  const headers = headerMap(input.headers);
  let name: SchemeName;
  if (input.scheme === "auto") {
    const picked = pickScheme(headers);
    if ("reason" in picked) return unverifiable(null, picked.code, picked.reason);
    name = picked.scheme;
  } else {
    name = input.scheme;
  }
  const scheme = schemes[name];
  if (!scheme) return unverifiable(null, "unknown-scheme", `unknown scheme ${JSON.stringify(name)}`);
  if (input.secrets.length === 0) return unverifiable(name, "no-secret", "no secret to verify with");
  try {
    return scheme.verify(input, headers);
  } catch (error) {
    if (error instanceof SigningError) return unverifiable(name, "bad-secret", error.message);
    throw error;
  }
}
