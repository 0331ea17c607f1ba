import { decodeHex } from "../encoding.js";
import { firstMatch, hmacSha256 } from "../hmac.js";
import { utf8Key } from "../keys.js";
import { invalid, mismatch, missing, type Scheme, valid } from "../scheme.js";
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
  verify({ body, secrets, toleranceSeconds, nowSeconds }, headers) {
    const value = headers.get("x-slack-signature");
    if (value === undefined) return missing("slack", "X-Slack-Signature");
    const text = headers.get("x-slack-request-timestamp");
    if (text === undefined)
      return missing("slack", "X-Slack-Request-Timestamp", " (slack signs v0:timestamp:body)");
    const timestamp = parseTimestamp(text);
    if (timestamp === undefined)
      return invalid("slack", "malformed X-Slack-Request-Timestamp header", null, text, nowSeconds);
    const trimmed = value.trim();
    const candidate = trimmed.startsWith("v0=") ? decodeHex(trimmed.slice(3)) : undefined;
    if (!candidate)
      return invalid("slack", "malformed X-Slack-Signature header", timestamp, text, nowSeconds);
    const index = firstMatch(secrets.map(utf8Key), [candidate], (key) =>
      hmacSha256(key, `v0:${timestamp}:`, body),
    );
    if (index < 0) return invalid("slack", mismatch, timestamp, text, nowSeconds);
    const stale = staleReason(timestamp, nowSeconds, toleranceSeconds);
    return stale
      ? invalid("slack", stale, timestamp, text, nowSeconds)
      : valid("slack", index, timestamp, text, nowSeconds);
  },
};
