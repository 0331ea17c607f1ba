import { sign as edSign, verify as edVerify } from "node:crypto";
import { safeEqual } from "../compare.js";
import { decodeBase64 } from "../encoding.js";
import { SigningError } from "../errors.js";
import { hmacSha256 } from "../hmac.js";
import { standardKey } from "../keys.js";
import { invalid, mismatch, type Scheme, unverifiable, valid } from "../scheme.js";
import { parseTimestamp, staleReason } from "../timestamp.js";
import type { SchemeName } from "../types.js";

/**
 * Standard Webhooks and Svix: `<prefix>-id`, `<prefix>-timestamp`, `<prefix>-signature`, signing
 * `id.timestamp.body`. The signature header is a space-separated list of `v1,<base64 HMAC>`
 * (whsec_ secrets) and `v1a,<base64 ed25519>` (whsk_ keys sign, whpk_ keys verify).
 */
export function standardLikeScheme(name: SchemeName, prefix: "webhook" | "svix"): Scheme {
  const idHeader = `${prefix}-id`;
  const timestampHeader = `${prefix}-timestamp`;
  const signatureHeader = `${prefix}-signature`;
  return {
    name,
    signatureHeader,
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
        [idHeader]: input.id,
        [timestampHeader]: String(input.timestamp),
        [signatureHeader]: signatures.join(" "),
      };
    },
    verify({ body, headers, secrets, toleranceSeconds, nowSeconds }) {
      const value = headers.get(signatureHeader);
      if (value === undefined) return unverifiable(name, "no-signature", `no ${signatureHeader} header`);
      const id = headers.get(idHeader);
      if (id === undefined)
        return unverifiable(
          name,
          "missing-header",
          `no ${idHeader} header (${name} signs id.timestamp.body)`,
        );
      const timestampText = headers.get(timestampHeader);
      if (timestampText === undefined) {
        return unverifiable(
          name,
          "missing-header",
          `no ${timestampHeader} header (${name} signs id.timestamp.body)`,
        );
      }
      const timestamp = parseTimestamp(timestampText);
      if (timestamp === undefined)
        return invalid(name, `malformed ${timestampHeader} header`, null, nowSeconds);
      const parsed = parseSignatures(value);
      if (!parsed) return invalid(name, `malformed ${signatureHeader} header`, timestamp, nowSeconds);
      const keys = secrets.map(standardKey);
      const signedPrefix = `${id}.${timestamp}.`;
      let message: Buffer | undefined;
      const index = keys.findIndex((key) => {
        if (key.kind === "hmac") {
          const expected = hmacSha256(key.key, signedPrefix, body);
          return parsed.v1.some((candidate) => safeEqual(expected, candidate));
        }
        message ??= Buffer.concat([Buffer.from(signedPrefix), body]);
        const content = message;
        return parsed.v1a.some(
          (candidate) => candidate.length === 64 && edVerify(null, content, key.publicKey, candidate),
        );
      });
      if (index < 0) return invalid(name, mismatch, timestamp, nowSeconds);
      const stale = staleReason(timestamp, nowSeconds, toleranceSeconds);
      return stale ? invalid(name, stale, timestamp, nowSeconds) : valid(name, index, timestamp, nowSeconds);
    },
  };
}

/**
 * Every `version,base64` entry; versions we do not know are skipped (the spec says so), but a
 * header with no well-formed entry at all is malformed.
 */
function parseSignatures(value: string): { v1: Buffer[]; v1a: Buffer[] } | undefined {
  const v1: Buffer[] = [];
  const v1a: Buffer[] = [];
  let wellFormed = 0;
  for (const entry of value.trim().split(/\s+/)) {
    const comma = entry.indexOf(",");
    if (comma <= 0) continue;
    const signature = decodeBase64(entry.slice(comma + 1));
    if (!signature) continue;
    wellFormed++;
    const version = entry.slice(0, comma);
    if (version === "v1") v1.push(signature);
    else if (version === "v1a") v1a.push(signature);
  }
  return wellFormed === 0 ? undefined : { v1, v1a };
}
