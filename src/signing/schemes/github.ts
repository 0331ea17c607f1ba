import { bodyHmacScheme } from "./body-hmac.js";

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
export const github = bodyHmacScheme({
  name: "github",
  header: "X-Hub-Signature-256",
  encoding: "hex",
  prefix: { text: "sha256=", required: true },
});
