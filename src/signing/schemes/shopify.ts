import { bodyHmacScheme } from "./body-hmac.js";

/** Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>`. */
export const shopify = bodyHmacScheme({
  name: "shopify",
  header: "X-Shopify-Hmac-Sha256",
  encoding: "base64",
});
