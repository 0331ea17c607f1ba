import type { Db } from "../../src/store/open.js";
import type { PgPool } from "../../src/store/pg/connect.js";

/** Tables in the order their foreign keys need. */
const tables = ["endpoints", "endpoint_secrets", "events", "deliveries", "attempts"] as const;

const identity = new Set(["endpoint_secrets", "attempts"]);

/** Every row of the SQLite log into the PostgreSQL one, column for column. */
export async function copyLog(db: Db, pool: PgPool): Promise<void> {
  for (const table of tables) {
    const { rows: columns } = await pool.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = $1",
      [table],
    );
    const known = new Set(columns.map((column) => column.column_name));
    for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all() as Record<
      string,
      unknown
    >[]) {
      // Identity ids are left to PostgreSQL, so its sequence goes on past the copied rows.
      const names = Object.keys(row).filter(
        (name) => known.has(name) && !(identity.has(table) && name === "id"),
      );
      const values = names.map((name) => row[name]);
      const params = names.map((_, index) => `$${index + 1}`).join(", ");
      await pool.query(`INSERT INTO ${table} (${names.join(", ")}) VALUES (${params})`, values);
    }
  }
}
