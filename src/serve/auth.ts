import { timingSafeEqual } from "node:crypto";
import { bearerDigest, tokenDigest } from "../receiver/bearer.js";

/**
 * A check of `Authorization: Bearer <token>` against several accepted tokens. Both sides are
 * compared as sha256 digests with timingSafeEqual, and every token is compared every time, so
 * neither a token's length nor which one matched shows in the timing.
 */
export function bearerCheck(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  const accepted = tokens.map(tokenDigest);
  return (authorization) => {
    const given = bearerDigest(authorization);
    let ok = false;
    for (const token of accepted) ok = timingSafeEqual(given.digest, token) || ok;
    return ok && given.present;
  };
}
