import { createHash, timingSafeEqual } from "node:crypto";

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * A check of `Authorization: Bearer <token>` against several accepted tokens. Both sides are
 * compared as sha256 digests with timingSafeEqual, and every token is compared every time, so
 * neither a token's length nor which one matched shows in the timing.
 */
export function bearerCheck(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  const accepted = tokens.map(digest);
  return (authorization) => {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
    const given = digest(match?.[1] ?? "");
    let ok = false;
    for (const token of accepted) ok = timingSafeEqual(given, token) || ok;
    return ok && match !== null;
  };
}
