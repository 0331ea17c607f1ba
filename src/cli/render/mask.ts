import { maskSecret } from "../secrets.js";

/**
 * Masking for anything that may carry a credential: header values by name (Authorization,
 * Cookie, *-Api-Key, *-Token) and any text containing a known secret. Masked values keep a
 * short prefix so two can be told apart, never enough to use one.
 */

/** `whsec_Ab12…`: the shared rule (see maskSecret), for secrets and credential header values alike. */
export function maskValue(value: string): string {
  return maskSecret(value);
}

const sensitiveNames =
  /^(authorization|proxy-authorization|cookie|set-cookie|api-key|token)$|(-api-key|-token)$/i;

/** Whether a header's value is a credential because of its name alone. */
export function isSensitiveHeader(name: string): boolean {
  return sensitiveNames.test(name.trim());
}

/** Replace every occurrence of every secret in `text` with its mask (longest secrets first). */
export function maskSecretsIn(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of [...secrets].filter(Boolean).sort((a, b) => b.length - a.length)) {
    if (masked.includes(secret)) masked = masked.split(secret).join(maskValue(secret));
  }
  return masked;
}

/** One header value as it may be shown. `Bearer abc…`: the auth scheme stays readable. */
export function maskHeaderValue(name: string, value: string, secrets: readonly string[]): string {
  if (isSensitiveHeader(name)) {
    const scheme = /^([A-Za-z][\w-]*)\s+(\S.*)$/.exec(value);
    return scheme ? `${scheme[1]} ${maskValue(scheme[2] as string)}` : maskValue(value);
  }
  return maskSecretsIn(value, secrets);
}

/** A copy of `headers` safe to print. */
export function maskHeaders(
  headers: Record<string, string>,
  secrets: readonly string[],
): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) masked[name] = maskHeaderValue(name, value, secrets);
  return masked;
}
