import { timingSafeEqual } from "node:crypto";
import { bearerDigest, tokenDigest } from "../receiver/bearer.js";

/** A channel's bearer token: 32 random bytes, base64url. Shown once; only its sha256 is kept. */
export function newChannelToken(randomBytes: (size: number) => Uint8Array): {
  token: string;
  sha256: string;
} {
  const token = Buffer.from(randomBytes(32)).toString("base64url");
  return { token, sha256: tokenSha256(token) };
}

export function tokenSha256(token: string): string {
  return tokenDigest(token).toString("hex");
}

// Compared against when the channel does not exist, so an unknown channel costs the same as a
// wrong token and the answer (401 either way) tells nothing about which channels exist.
const absent = Buffer.alloc(32);

/**
 * Whether `Authorization: Bearer <token>` carries the token whose sha256 is `storedSha256`
 * (undefined: no such channel, never accepted). Digests are compared in constant time.
 */
export function bearerMatches(authorization: string | undefined, storedSha256: string | undefined): boolean {
  const given = bearerDigest(authorization);
  const expected = storedSha256 === undefined ? absent : Buffer.from(storedSha256, "hex");
  const equal = expected.length === 32 && timingSafeEqual(given.digest, expected);
  return equal && given.present && storedSha256 !== undefined;
}

/** Channel names: in URLs as they are, short, no case games. */
export const channelNamePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;
