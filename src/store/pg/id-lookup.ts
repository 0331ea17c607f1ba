import type { IdTable } from "../id-lookup.js";
import { minIdSuffix } from "../id-lookup.js";
import type { PgPool } from "./connect.js";

/** findIdsBySuffix (store/id-lookup.ts) on PostgreSQL: the id itself, or ids ending with `text`. */
export async function findPgIdsBySuffix(
  pool: PgPool,
  table: IdTable,
  text: string,
  limit = 6,
): Promise<string[]> {
  const exact = await pool.query<{ id: string }>(`SELECT id FROM ${table} WHERE id = $1`, [text]);
  if (exact.rows[0]) return [exact.rows[0].id];
  if (text.length < minIdSuffix) return [];
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM ${table} WHERE length(id) >= length($1) AND upper(right(id, length($1))) = upper($1)
     ORDER BY id DESC LIMIT $2`,
    [text, limit],
  );
  return rows.map((row) => row.id);
}
