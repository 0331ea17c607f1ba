import type { Db } from "./open.js";

/** The tables whose ids a user types back: deliveries, events and captured requests. */
export type IdTable = "deliveries" | "events" | "received";

/** Ids shorter than this are too likely to match by chance to be taken as a suffix. */
export const minIdSuffix = 6;

/**
 * The ids in `table` that `text` names: the id itself, or every id ending with it (any case)
 * when it is at least {@link minIdSuffix} characters. Suffixes, not prefixes: ids start with
 * their creation time, so a prefix names everything made in the same second, while the tail is
 * random. At most `limit` matches, so a caller can tell one from several.
 */
export function findIdsBySuffix(db: Db, table: IdTable, text: string, limit = 6): string[] {
  const exact = db.prepare(`SELECT id FROM ${table} WHERE id = ?`).pluck().get(text) as string | undefined;
  if (exact !== undefined) return [exact];
  if (text.length < minIdSuffix) return [];
  // A scan of the primary key's index: ~0.1 s per million ids, paid only when a suffix is typed.
  return db
    .prepare(
      `SELECT id FROM ${table} WHERE length(id) >= length(@text) AND upper(substr(id, -length(@text))) = upper(@text) ORDER BY id DESC LIMIT @limit`,
    )
    .pluck()
    .all({ text, limit }) as string[];
}
