import { bodyHmacScheme } from "./body-hmac.js";

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. GitHub still sends the
 * SHA-1 `X-Hub-Signature` beside it, but its documentation and its own libraries check only the
 * SHA-256 one, so a request carrying only SHA-1 is rejected, not reported as unsigned.
 */
export const github = bodyHmacScheme({
  name: "github",
  header: "X-Hub-Signature-256",
  encoding: "hex",
  prefix: { text: "sha256=", required: true },
  legacy: {
    header: "X-Hub-Signature",
    reason:
      "only the legacy SHA-1 X-Hub-Signature header; GitHub's libraries verify only X-Hub-Signature-256",
  },
});
