import { decodeHex } from "../encoding.js";
import { firstMatch, hmacSha256 } from "../hmac.js";
import { utf8Key } from "../keys.js";
import { invalid, mismatch, type Scheme, unverifiable, valid } from "../scheme.js";
import { parseTimestamp, staleReason } from "../timestamp.js";

/** Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<ts>:<body>">` and X-Slack-Request-Timestamp. */
export const slack: Scheme = {
  name: "slack",
  signatureHeader: "X-Slack-Signature",
  sign(input) {
    const key = utf8Key(input.secrets[0] as string, 0);
    const digest = hmacSha256(key, `v0:${input.timestamp}:`, input.body).toString("hex");
    return { "X-Slack-Signature": `v0=${digest}`, "X-Slack-Request-Timestamp": String(input.timestamp) };
  },
  verify({ body, headers, secrets, toleranceSeconds, nowSeconds }) {
    const value = headers.get("x-slack-signature");
    if (value === undefined) return unverifiable("slack", "no-signature", "no X-Slack-Signature header");
    const timestampText = headers.get("x-slack-request-timestamp");
    if (timestampText === undefined) {
      return unverifiable(
        "slack",
        "missing-header",
        "no X-Slack-Request-Timestamp header (slack signs v0:timestamp:body)",
      );
    }
    const timestamp = parseTimestamp(timestampText);
    if (timestamp === undefined)
      return invalid("slack", "malformed X-Slack-Request-Timestamp header", null, nowSeconds);
    const trimmed = value.trim();
    const candidate = trimmed.startsWith("v0=") ? decodeHex(trimmed.slice(3)) : undefined;
    if (!candidate) return invalid("slack", "malformed X-Slack-Signature header", timestamp, nowSeconds);
    const index = firstMatch(secrets.map(utf8Key), [candidate], (key) =>
      hmacSha256(key, `v0:${timestamp}:`, body),
    );
    if (index < 0) return invalid("slack", mismatch, timestamp, nowSeconds);
    const stale = staleReason(timestamp, nowSeconds, toleranceSeconds);
    return stale
      ? invalid("slack", stale, timestamp, nowSeconds)
      : valid("slack", index, timestamp, nowSeconds);
  },
};
