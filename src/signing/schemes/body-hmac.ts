import { decodeBase64, decodeHex } from "../encoding.js";
import { firstMatch, hmacSha256 } from "../hmac.js";
import { utf8Key } from "../keys.js";
import { invalid, mismatch, missing, type Scheme, valid } from "../scheme.js";
import type { SchemeName, SignInput } from "../types.js";

interface BodyHmacOptions {
  name: SchemeName;
  header: string;
  encoding: "hex" | "base64";
  /** A prefix before the digest (`sha256=`); `required` rejects values without it. */
  prefix?: { text: string; required: boolean };
  /** Extra headers sign adds (they are not signed, only carried). */
  extraHeaders?: (input: SignInput) => Record<string, string>;
  /** A header the provider used to sign with and no longer verifies, and what to say about it. */
  legacy?: { header: string; reason: string };
}

/** Schemes that sign the raw body alone with the first secret's UTF-8 bytes (hookctl, github, shopify). */
export function bodyHmacScheme(options: BodyHmacOptions): Scheme {
  const { name, header, encoding, prefix, legacy } = options;
  const lower = header.toLowerCase();
  const legacyLower = legacy?.header.toLowerCase();
  return {
    name,
    signatureHeader: header,
    ...(legacyLower ? { markers: [legacyLower] } : {}),
    sign(input) {
      const digest = hmacSha256(utf8Key(input.secrets[0] as string, 0), input.body).toString(encoding);
      // An optional prefix is only accepted on verify; a required one is part of the value.
      const value = prefix?.required ? `${prefix.text}${digest}` : digest;
      return { [header]: value, ...options.extraHeaders?.(input) };
    },
    verify({ body, secrets, nowSeconds }, headers) {
      const value = headers.get(lower);
      if (value === undefined) {
        if (legacy && legacyLower && headers.has(legacyLower))
          return invalid(name, legacy.reason, null, null, 0);
        return missing(name, header);
      }
      const candidate = decode(value.trim());
      if (!candidate) return invalid(name, `malformed ${header} header`, null, null, nowSeconds);
      const keys = secrets.map(utf8Key);
      const index = firstMatch(keys, [candidate], (key) => hmacSha256(key, body));
      return index < 0
        ? invalid(name, mismatch, null, null, nowSeconds)
        : valid(name, index, null, null, nowSeconds);
    },
  };

  function decode(value: string): Buffer | undefined {
    let digest = value;
    if (prefix) {
      if (digest.toLowerCase().startsWith(prefix.text)) digest = digest.slice(prefix.text.length);
      else if (prefix.required) return undefined;
    }
    return encoding === "hex" ? decodeHex(digest) : decodeBase64(digest);
  }
}
