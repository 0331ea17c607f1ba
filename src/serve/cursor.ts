import { Problem } from "./http.js";

/**
 * Page cursors of `GET /v1/deliveries`: the last delivery id of a page, base64url-encoded. Opaque
 * to clients, so what it holds can change; a cursor that does not decode to a delivery id is a
 * 400, never a silently empty or restarted listing.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  // Node's decoder skips characters outside the alphabet: a cursor must round-trip exactly.
  if (!/^dlv_[0-9A-Za-z_]{1,64}$/.test(id) || encodeCursor(id) !== cursor) {
    throw new Problem(400, "Bad Request", "cursor is not one this server gave; pass nextCursor unchanged");
  }
  return id;
}
