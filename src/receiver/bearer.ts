import { createHash } from "node:crypto";

/** sha256 of a token's UTF-8 bytes: what bearer tokens are compared (and stored) as. */
export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/**
 * The token an `Authorization: Bearer <token>` header carries, as its digest (ready for a
 * constant-time compare), and whether the header was a bearer header at all. A missing or
 * malformed header still yields a digest (of ""), so the caller's comparison costs the same.
 */
export function bearerDigest(authorization: string | undefined): { digest: Buffer; present: boolean } {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
  return { digest: tokenDigest(match?.[1] ?? ""), present: match !== null };
}
