import type { Db } from "../open.js";
import { type Batch, type Row, readOrder, type TableName, type TableSpec, transferTables } from "./tables.js";
import type { LogWriter } from "./write.js";

const columnList = (table: TableSpec) => table.columns.map((column) => column.name).join(", ");

/**
 * Every moved table of a SQLite log, `size` rows at a time in key (or arrival) order, all from
 * one read transaction: a log in use is copied as it was at one moment (WAL lets writers go on).
 */
export async function* readSqlite(db: Db, size: number): AsyncGenerator<Batch> {
  db.exec("BEGIN");
  try {
    for (const table of transferTables) {
      const order = readOrder(table, "sqlite");
      const select = `SELECT ${order.select}, ${columnList(table)} FROM ${table.name}`;
      const first = db.prepare(`${select} ORDER BY ${order.columns} LIMIT ${size}`);
      const after = Array.from({ length: order.count }, () => "?").join(", ");
      const next = db.prepare(
        `${select} WHERE (${order.columns}) > (${after}) ORDER BY ${order.columns} LIMIT ${size}`,
      );
      let rows = first.all() as Row[];
      while (rows.length > 0) {
        yield { table, rows };
        if (rows.length < size) break;
        rows = next.all(...order.last(rows[rows.length - 1] as Row)) as Row[];
      }
    }
  } finally {
    if (db.inTransaction) db.exec("COMMIT");
  }
}

/** How many rows each moved table of a SQLite log holds. */
export function sqliteRowCounts(db: Db): Record<TableName, number> {
  const counts = {} as Record<TableName, number>;
  for (const table of transferTables) {
    counts[table.name] = db.prepare(`SELECT COUNT(*) FROM ${table.name}`).pluck().get() as number;
  }
  return counts;
}

/**
 * Writes into a SQLite log in one write transaction, begun before the first row and held across
 * the awaits between batches: the target is a log nobody else is writing yet, and a failure
 * anywhere leaves it as empty as it was.
 */
export class SqliteWriter implements LogWriter {
  private readonly inserts = new Map<TableName, (row: Row) => void>();

  constructor(private readonly db: Db) {}

  async begin(): Promise<void> {
    this.db.exec("BEGIN IMMEDIATE");
  }

  async counts(): Promise<Record<TableName, number>> {
    return sqliteRowCounts(this.db);
  }

  async insert(batch: Batch): Promise<void> {
    const insert = this.insertOf(batch.table);
    for (const row of batch.rows) insert(row);
  }

  async commit(): Promise<void> {
    this.db.exec("COMMIT");
  }

  async rollback(): Promise<void> {
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
  }

  private insertOf(table: TableSpec): (row: Row) => void {
    let insert = this.inserts.get(table.name);
    if (!insert) {
      const names = table.columns.map((column) => column.name);
      const statement = this.db.prepare(
        `INSERT INTO ${table.name} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`,
      );
      insert = (row) => {
        statement.run(...names.map((name) => row[name] ?? null));
      };
      this.inserts.set(table.name, insert);
    }
    return insert;
  }
}
