import { sign as edSign, verify as edVerify } from "node:crypto";
import { safeEqualText } from "../compare.js";
import { decodeBase64 } from "../encoding.js";
import { SigningError } from "../errors.js";
import { hmacSha256, hmacSha256Base64 } from "../hmac.js";
import { standardKey } from "../keys.js";
import { invalid, mismatch, missing, type Scheme, valid } from "../scheme.js";
import { parseTimestamp, staleReason } from "../timestamp.js";
import type { SchemeName } from "../types.js";

interface HeaderNames {
  id: string;
  timestamp: string;
  signature: string;
}

const namesOf = (prefix: string): HeaderNames => ({
  id: `${prefix}-id`,
  timestamp: `${prefix}-timestamp`,
  signature: `${prefix}-signature`,
});

/**
 * Standard Webhooks and Svix: `<prefix>-id`, `<prefix>-timestamp`, `<prefix>-signature`, signing
 * `id.timestamp.body`. The signature header is a space-separated list of `v1,<base64 HMAC>`
 * (whsec_ secrets) and `v1a,<base64 ed25519>` (whsk_ keys sign, whpk_ keys verify).
 */
export function standardLikeScheme(name: SchemeName, prefix: "webhook" | "svix"): Scheme {
  const own = namesOf(prefix);
  // Svix sends its svix-* headers and the webhook-* ones side by side, and its libraries read
  // the webhook-* set when the svix-* one is incomplete.
  const alternative = prefix === "svix" ? namesOf("webhook") : undefined;
  const signs = ` (${name} signs id.timestamp.body)`;
  return {
    name,
    signatureHeader: own.signature,
    sign(input) {
      const signedPrefix = `${input.id}.${input.timestamp}.`;
      const signatures = input.secrets.map((secret, index) => {
        const key = standardKey(secret, index);
        if (key.kind === "hmac")
          return `v1,${hmacSha256(key.key, signedPrefix, input.body).toString("base64")}`;
        if (key.kind === "ed25519-secret") {
          const message = Buffer.concat([Buffer.from(signedPrefix), input.body]);
          return `v1a,${edSign(null, message, key.privateKey).toString("base64")}`;
        }
        throw new SigningError(`secret #${index + 1} is a whpk_ public key; sign with its whsk_ secret key`);
      });
      return {
        [own.id]: input.id,
        [own.timestamp]: String(input.timestamp),
        [own.signature]: signatures.join(" "),
      };
    },
    verify({ body, secrets, toleranceSeconds, nowSeconds }, headers) {
      let names = own;
      let value = headers.get(own.signature);
      let id = headers.get(own.id);
      let text = headers.get(own.timestamp);
      if (alternative && (value === undefined || id === undefined || text === undefined)) {
        const otherValue = headers.get(alternative.signature);
        const otherId = headers.get(alternative.id);
        const otherText = headers.get(alternative.timestamp);
        // The other set when it is complete, or when only it carries a signature (so a missing
        // header is named in the set that was sent).
        const complete = otherId !== undefined && otherText !== undefined;
        if (otherValue !== undefined && (complete || value === undefined)) {
          names = alternative;
          value = otherValue;
          id = otherId;
          text = otherText;
        }
      }
      if (value === undefined) return missing(name, names.signature);
      if (id === undefined) return missing(name, names.id, signs);
      if (text === undefined) return missing(name, names.timestamp, signs);
      const timestamp = parseTimestamp(text);
      if (timestamp === undefined)
        return invalid(name, `malformed ${names.timestamp} header`, null, text, nowSeconds);
      const parsed = parseSignatures(value);
      if (!parsed) return invalid(name, `malformed ${names.signature} header`, timestamp, text, nowSeconds);
      const index = matchingKey(secrets, `${id}.${timestamp}.`, body, parsed);
      if (index < 0) return invalid(name, mismatch, timestamp, text, nowSeconds);
      const stale = staleReason(timestamp, nowSeconds, toleranceSeconds);
      return stale
        ? invalid(name, stale, timestamp, text, nowSeconds)
        : valid(name, index, timestamp, text, nowSeconds);
    },
  };
}

/**
 * The index of the first secret that made one of the signatures, or -1. Every secret is parsed
 * before any is tried, so a broken rotation list shows at once (standardKey caches the keys).
 */
function matchingKey(
  secrets: readonly string[],
  signedPrefix: string,
  body: Uint8Array | string,
  parsed: Signatures,
): number {
  for (let i = 0; i < secrets.length; i++) standardKey(secrets[i] as string, i);
  let message: Buffer | undefined;
  for (let i = 0; i < secrets.length; i++) {
    const key = standardKey(secrets[i] as string, i);
    if (key.kind === "hmac") {
      if (parsed.v1.length === 0) continue;
      // 32 bytes are 44 base64 characters, the last one padding.
      const expected = hmacSha256Base64(key.key, signedPrefix, body).slice(0, 43);
      for (const candidate of parsed.v1) if (safeEqualText(expected, candidate)) return i;
      continue;
    }
    message ??= Buffer.concat([
      Buffer.from(signedPrefix),
      typeof body === "string" ? Buffer.from(body) : body,
    ]);
    for (const candidate of parsed.v1a) {
      if (candidate.length === 64 && edVerify(null, message, key.publicKey, candidate)) return i;
    }
  }
  return -1;
}

/** `v1` signatures as canonical base64 text without padding; `v1a` ones as bytes. */
interface Signatures {
  v1: string[];
  v1a: Buffer[];
}

const base64Text = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Base64 in the standard alphabet without its padding: one text per byte string. */
function unpadded(text: string): string {
  const end = text.endsWith("==") ? text.length - 2 : text.endsWith("=") ? text.length - 1 : text.length;
  const bare = end === text.length ? text : text.slice(0, end);
  return bare.includes("-") || bare.includes("_") ? bare.replace(/-/g, "+").replace(/_/g, "/") : bare;
}

/**
 * Every `version,base64` entry, separated by whitespace; versions we do not know are skipped (the
 * spec says so), but a header with no well-formed entry at all is malformed. HMAC signatures are
 * compared as base64 text (as the reference library does), which spares a decode per message.
 */
function parseSignatures(value: string): Signatures | undefined {
  const parsed: Signatures = { v1: [], v1a: [] };
  let wellFormed = 0;
  // Usually one entry, `v1,<base64>`: walked with indexOf rather than a regex split.
  const text = /[\t\n\v\f\r]/.test(value) ? value.replace(/\s/g, " ") : value;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf(" ", start);
    if (end < 0) end = text.length;
    const comma = text.indexOf(",", start);
    if (comma > start && comma < end) {
      // A repeated header arrives joined with ", " (HTTP's list rule): `v1,abc, v1,def`.
      const signature = text.slice(comma + 1, text.charCodeAt(end - 1) === 44 ? end - 1 : end);
      const version = text.slice(start, comma);
      if (version === "v1a") {
        const bytes = decodeBase64(signature);
        if (bytes) {
          wellFormed++;
          parsed.v1a.push(bytes);
        }
      } else if (base64Text.test(signature) && signature.length % 4 !== 1) {
        wellFormed++;
        if (version === "v1") parsed.v1.push(unpadded(signature));
      }
    }
    start = end + 1;
  }
  return wellFormed === 0 ? undefined : parsed;
}
