import type pg from "pg";
import type { PgPool } from "../pg/connect.js";
import { notifyWork } from "../pg/exchange-sql.js";
import {
  type Batch,
  type ColumnType,
  type Row,
  readOrder,
  type TableName,
  type TableSpec,
  transferTables,
} from "./tables.js";
import type { LogWriter } from "./write.js";

const casts: Record<ColumnType, string> = {
  text: "text",
  integer: "bigint",
  real: "float8",
  time: "bigint",
  bytes: "bytea",
};

/** A statement's parameters at most (PostgreSQL's limit is 65,535). */
const maxParams = 60_000;

const typeOf = (table: TableSpec, name: string) =>
  casts[table.columns.find((column) => column.name === name)?.type ?? "text"];

/**
 * Every moved table of a PostgreSQL log, `size` rows at a time in key (or arrival) order, all
 * from one REPEATABLE READ snapshot: a log in use is copied as it was at one moment.
 */
export async function* readPg(pool: PgPool, size: number): AsyncGenerator<Batch> {
  const client = await pool.connect();
  let done = false;
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    for (const table of transferTables) {
      const order = readOrder(table, "postgres");
      const select = `SELECT ${order.select}, ${table.columns.map((column) => column.name).join(", ")} FROM ${table.name}`;
      const types = table.arrival ? ["bigint"] : table.key.map((key) => typeOf(table, key));
      const after = types.map((type, i) => `$${i + 1}::${type}`).join(", ");
      let { rows } = await client.query<Row>(`${select} ORDER BY ${order.columns} LIMIT ${size}`);
      while (rows.length > 0) {
        yield { table, rows };
        if (rows.length < size) break;
        ({ rows } = await client.query<Row>(
          `${select} WHERE (${order.columns}) > (${after}) ORDER BY ${order.columns} LIMIT ${size}`,
          order.last(rows[rows.length - 1] as Row),
        ));
      }
    }
    await client.query("COMMIT");
    done = true;
  } finally {
    // A copy stopped half-way leaves its transaction open: that connection is not reused.
    client.release(!done);
  }
}

/** How many rows each moved table of a PostgreSQL log holds. */
async function pgRowCounts(client: pg.ClientBase): Promise<Record<TableName, number>> {
  const counts = transferTables.map((table) => `(SELECT count(*) FROM ${table.name})::int AS ${table.name}`);
  const { rows } = await client.query<Record<TableName, number>>(`SELECT ${counts.join(", ")}`);
  return rows[0] as Record<TableName, number>;
}

/**
 * Writes into a PostgreSQL log in one transaction: every row or none. On commit the identity
 * sequences move past the copied ids, and running schedulers are woken for the due work.
 */
export class PgWriter implements LogWriter {
  private client: pg.PoolClient | undefined;

  constructor(private readonly pool: PgPool) {}

  async begin(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
    } catch (error) {
      // writeLog rolls back only a writer that began: a connection kept here would never go back,
      // and the pool's end() would wait for it for ever.
      client.release(true);
      throw error;
    }
    this.client = client;
  }

  async counts(): Promise<Record<TableName, number>> {
    return pgRowCounts(this.connection());
  }

  async insert(batch: Batch): Promise<void> {
    const { table } = batch;
    const names = table.columns.map((column) => column.name);
    const perStatement = Math.max(1, Math.floor(maxParams / names.length));
    for (let start = 0; start < batch.rows.length; start += perStatement) {
      const rows = batch.rows.slice(start, start + perStatement);
      const values: unknown[] = [];
      const tuples = rows.map((row) => {
        const placeholders = table.columns.map((column) => {
          values.push(row[column.name] ?? null);
          return `$${values.length}::${casts[column.type]}`;
        });
        return `(${placeholders.join(", ")})`;
      });
      await this.connection().query(
        `INSERT INTO ${table.name} (${names.join(", ")}) VALUES ${tuples.join(", ")}`,
        values,
      );
    }
  }

  async commit(): Promise<void> {
    const client = this.connection();
    for (const table of transferTables) {
      if (!table.identity) continue;
      await client.query(
        `SELECT setval(pg_get_serial_sequence('${table.name}', '${table.identity}'),
           (SELECT COALESCE(max(${table.identity}), 0) + 1 FROM ${table.name}), false)`,
      );
    }
    await client.query(`SELECT ${notifyWork}`);
    await client.query("COMMIT");
    this.release();
  }

  async rollback(): Promise<void> {
    if (!this.client) return;
    await this.client.query("ROLLBACK").catch(() => {});
    this.release();
  }

  private connection(): pg.PoolClient {
    if (!this.client) throw new Error("PgWriter used before begin()");
    return this.client;
  }

  private release(): void {
    this.client?.release();
    this.client = undefined;
  }
}
