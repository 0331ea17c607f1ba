/**
 * A secret or option the signing core cannot use (a `whpk_` key to sign with, a secret that is
 * not base64 where the scheme needs it). The core imports nothing of the CLI, so callers turn
 * this into their own error kind (the CLI: a usage error, exit 2).
 */
export class SigningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SigningError";
  }
}
