import { decodeHex } from "../encoding.js";
import { firstMatch, hmacSha256 } from "../hmac.js";
import { utf8Key } from "../keys.js";
import { invalid, mismatch, missing, type Scheme, valid } from "../scheme.js";
import { parseTimestamp, staleReason } from "../timestamp.js";

/**
 * Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of `<ts>.<body>` keyed
 * with the whole `whsec_…` string (Stripe does not base64-decode it). One v1 per secret.
 */
export const stripe: Scheme = {
  name: "stripe",
  signatureHeader: "Stripe-Signature",
  sign(input) {
    const parts = [`t=${input.timestamp}`];
    input.secrets.forEach((secret, index) => {
      parts.push(
        `v1=${hmacSha256(utf8Key(secret, index), `${input.timestamp}.`, input.body).toString("hex")}`,
      );
    });
    return { "Stripe-Signature": parts.join(",") };
  },
  verify({ body, secrets, toleranceSeconds, nowSeconds }, headers) {
    const value = headers.get("stripe-signature");
    if (value === undefined) return missing("stripe", "Stripe-Signature");
    const parsed = parseStripeHeader(value);
    if (!parsed) return invalid("stripe", "malformed Stripe-Signature header", null, null, nowSeconds);
    const { timestamp, text, signatures } = parsed;
    if (signatures.length === 0) {
      const reason = "malformed Stripe-Signature header (no v1 signature)";
      return invalid("stripe", reason, timestamp, text, nowSeconds);
    }
    const index = firstMatch(secrets.map(utf8Key), signatures, (key) =>
      hmacSha256(key, `${timestamp}.`, body),
    );
    if (index < 0) return invalid("stripe", mismatch, timestamp, text, nowSeconds);
    const stale = staleReason(timestamp, nowSeconds, toleranceSeconds);
    return stale
      ? invalid("stripe", stale, timestamp, text, nowSeconds)
      : valid("stripe", index, timestamp, text, nowSeconds);
  },
};

/** `t` exactly once; every well-formed `v1`; other schemes (`v0`) ignored, as Stripe does. */
function parseStripeHeader(
  value: string,
): { timestamp: number; text: string; signatures: Buffer[] } | undefined {
  let timestamp: number | undefined;
  let timestampText = "";
  const signatures: Buffer[] = [];
  for (const item of value.split(",")) {
    const equals = item.indexOf("=");
    if (equals <= 0) return undefined;
    const key = item.slice(0, equals).trim();
    const text = item.slice(equals + 1).trim();
    if (key === "t") {
      if (timestamp !== undefined) return undefined;
      timestamp = parseTimestamp(text);
      if (timestamp === undefined) return undefined;
      timestampText = text;
    } else if (key === "v1") {
      const signature = decodeHex(text);
      if (signature) signatures.push(signature);
    }
  }
  return timestamp === undefined ? undefined : { timestamp, text: timestampText, signatures };
}
