import { InterruptedError, UsageError } from "../../errors.js";
import type { LogHandle } from "../log-handle.js";
import { PgWriter } from "./pg.js";
import { SqliteWriter } from "./sqlite.js";
import { type Batch, rowsInWords, type TableName, tableNames } from "./tables.js";

/** A log being filled by a copy: one transaction from begin() to commit() or rollback(). */
export interface LogWriter {
  begin(): Promise<void>;
  /** How many rows each moved table holds now. */
  counts(): Promise<Record<TableName, number>>;
  insert(batch: Batch): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export type TableCounts = Record<TableName, number>;

export function zeroCounts(): TableCounts {
  return Object.fromEntries(tableNames.map((name) => [name, 0])) as TableCounts;
}

/**
 * Write `batches` into `target`, which must hold no moved rows (exit 2 otherwise, checked before
 * the first batch is asked for), in one transaction: all of it lands, or nothing does — a bad
 * batch, a broken source or `signal` leave the target as it was. Returns the rows written.
 */
export async function writeLog(
  target: LogHandle,
  batches: AsyncIterable<Batch>,
  signal?: AbortSignal,
): Promise<TableCounts> {
  const writer: LogWriter =
    target.backend === "sqlite" ? new SqliteWriter(target.db) : new PgWriter(target.pool);
  const written = zeroCounts();
  await writer.begin();
  try {
    requireEmpty(target.where, await writer.counts());
    for await (const batch of batches) {
      if (signal?.aborted) throw new InterruptedError("interrupted; nothing was copied");
      await writer.insert(batch).catch((error: unknown) => {
        throw unfit(error, batch, target.where) ?? error;
      });
      written[batch.table.name] += batch.rows.length;
    }
    if (signal?.aborted) throw new InterruptedError("interrupted; nothing was copied");
    await writer.commit();
  } catch (error) {
    await writer.rollback();
    throw error;
  }
  return written;
}

function requireEmpty(where: string, counts: TableCounts): void {
  const held = tableNames.filter((name) => counts[name] > 0);
  if (held.length === 0) return;
  const listed = held.map((name) => rowsInWords(name, counts[name])).join(", ");
  throw new UsageError(
    `the log at ${where} is not empty (${listed}); a copy goes only into an empty log`,
    "give a new file or an empty database, or prune or drop what is there first",
  );
}

/**
 * A batch the target's constraints refused (a row naming a parent that is not there, a value
 * out of a column's range or checks): the input's fault, exit 2, not a bug.
 */
function unfit(error: unknown, batch: Batch, where: string): UsageError | undefined {
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  if (!code.startsWith("SQLITE_CONSTRAINT") && !/^2[23]/.test(code)) return undefined;
  const rows = batch.lines
    ? `lines ${batch.lines[0]}–${batch.lines[1]} (${batch.table.name} rows)`
    : `the ${batch.table.name} rows`;
  return new UsageError(
    `${rows} do not fit the log at ${where}: ${(error as Error).message}`,
    "give an export hookctl wrote, unchanged; nothing was copied",
    error,
  );
}
