import { bodyHmacScheme } from "./body-hmac.js";

/**
 * hookctl's own scheme: hex HMAC-SHA256 of the raw body in X-Signature (a `sha256=` prefix is
 * accepted when verifying). The delivery id and timestamp travel alongside but are not signed,
 * so verify does not judge the timestamp.
 */
export const hookctl = bodyHmacScheme({
  name: "hookctl",
  header: "X-Signature",
  encoding: "hex",
  prefix: { text: "sha256=", required: false },
  extraHeaders: (input) => ({
    "X-Webhook-Delivery-ID": input.id,
    "X-Webhook-Timestamp": String(input.timestamp),
  }),
});
