import { createHmac } from "node:crypto";
import {
  type SchemeName,
  type SignResult,
  sign,
  type VerifyResult,
  verify,
} from "../../src/signing/index.js";

/** What each scheme signs and carries, so one table of tests covers them all. */
export interface Traits {
  name: SchemeName;
  /** Header holding the id, when the scheme signs it. */
  idHeader?: string;
  /** Header holding the timestamp, when the scheme signs it (stripe: inside its signature header). */
  timestampHeader?: string;
  /** Several secrets give several signatures. */
  multi: boolean;
}

export const traits: readonly Traits[] = [
  { name: "hookctl", multi: false },
  { name: "standard", idHeader: "webhook-id", timestampHeader: "webhook-timestamp", multi: true },
  { name: "svix", idHeader: "svix-id", timestampHeader: "svix-timestamp", multi: true },
  { name: "stripe", timestampHeader: "Stripe-Signature", multi: true },
  { name: "github", multi: false },
  { name: "slack", timestampHeader: "X-Slack-Request-Timestamp", multi: false },
  { name: "shopify", multi: false },
];

/** A secret in the form the scheme's users hold (whsec_<base64> for standard and svix). */
export function secretFor(scheme: SchemeName, seed: string): string {
  if (scheme === "standard" || scheme === "svix")
    return `whsec_${Buffer.from(`key-${seed}`).toString("base64")}`;
  if (scheme === "stripe") return `whsec_test_${seed}`;
  return `secret-${seed}`;
}

const hmac = (key: Buffer | string, ...parts: (string | Uint8Array)[]) => {
  const mac = createHmac("sha256", key);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

/**
 * The signature header's value computed straight from each provider's documentation with
 * node:crypto, independently of src/signing, for the first secret.
 */
export function referenceSignature(
  scheme: SchemeName,
  secret: string,
  body: Uint8Array,
  id: string,
  ts: number,
) {
  switch (scheme) {
    case "hookctl":
      return hmac(secret, body).toString("hex");
    case "github":
      return `sha256=${hmac(secret, body).toString("hex")}`;
    case "shopify":
      return hmac(secret, body).toString("base64");
    case "slack":
      return `v0=${hmac(secret, `v0:${ts}:`, body).toString("hex")}`;
    case "stripe":
      return `t=${ts},v1=${hmac(secret, `${ts}.`, body).toString("hex")}`;
    case "standard":
    case "svix":
      return `v1,${hmac(Buffer.from(secret.slice(6), "base64"), `${id}.${ts}.`, body).toString("base64")}`;
  }
}

export const T = 1_700_000_000;

export function signed(
  scheme: SchemeName,
  body: Uint8Array,
  secrets: string[],
  id = "msg_1",
  timestamp = T,
): SignResult {
  return sign({ scheme, body, secrets, id, timestamp });
}

export function check(
  scheme: SchemeName | "auto",
  body: Uint8Array | string,
  headers: Record<string, string>,
  secrets: readonly string[],
  options: { now?: number; tolerance?: number } = {},
): VerifyResult {
  return verify({
    scheme,
    body,
    headers,
    secrets,
    toleranceSeconds: options.tolerance ?? 300,
    nowSeconds: options.now ?? T,
  });
}

/** Headers with one value replaced, matching the name in any case. */
export function withHeader(headers: Record<string, string>, name: string, value: (old: string) => string) {
  const out: Record<string, string> = {};
  for (const [key, old] of Object.entries(headers))
    out[key] = key.toLowerCase() === name.toLowerCase() ? value(old) : old;
  return out;
}

export function mapNames(headers: Record<string, string>, rename: (name: string) => string) {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [rename(name), value]));
}
