import { parseInput } from "../../contract/parse.js";
import {
  logExportEnd,
  logExportHeader,
  logExportRowLine,
  logExportRows,
} from "../../contract/schema/log-transfer.js";
import { iso } from "../../contract/time.js";
import { UsageError } from "../../errors.js";
import { transferChunk } from "./read.js";
import { type Batch, type Row, type TableName, type TableSpec, tableSpec, transferTables } from "./tables.js";

/**
 * The export stream (contract/schema/log-transfer.ts) written from batches, and read back into
 * batches for `log import`.
 */

/** The stream's text, a header, a piece per batch and the end line, each ending in a newline. */
export async function* encodeLog(
  batches: AsyncIterable<Batch>,
  header: { source: "sqlite" | "postgres"; now: number },
): AsyncGenerator<string> {
  yield `${JSON.stringify({ format: "hookctl-log", version: 1, exportedAt: iso(header.now), source: header.source })}\n`;
  let rows = 0;
  for await (const batch of batches) {
    rows += batch.rows.length;
    yield batch.rows
      .map((row) => `${JSON.stringify({ table: batch.table.name, row: encodeRow(batch.table, row) })}\n`)
      .join("");
  }
  yield `${JSON.stringify({ end: true, rows })}\n`;
}

function encodeRow(table: TableSpec, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of table.columns) {
    const value = row[column.name] ?? null;
    if (value === null) out[column.field] = null;
    else if (column.type === "time") out[column.field] = iso(Number(value));
    else if (column.type === "bytes") out[column.field] = Buffer.from(value as Buffer).toString("base64");
    else out[column.field] = value;
  }
  return out;
}

function decodeRow(table: TableSpec, fields: Record<string, unknown>): Row {
  const row: Row = {};
  for (const column of table.columns) {
    const value = fields[column.field] ?? null;
    if (value === null) row[column.name] = null;
    else if (column.type === "time") row[column.name] = Date.parse(value as string);
    else if (column.type === "bytes") row[column.name] = Buffer.from(value as string, "base64");
    else row[column.name] = value as string | number;
  }
  return row;
}

const hint = "give a file hookctl log export wrote, whole and unchanged";

/**
 * Batches from the stream's lines. Every line is checked before its batch goes on (a bad line is
 * a UsageError naming it), tables must come in the export's order, and a stream that ends
 * without its end line, or whose count is off, is refused: the writer's transaction then leaves
 * the target as it was.
 */
export async function* decodeLog(lines: AsyncIterable<string>, chunk = transferChunk): AsyncGenerator<Batch> {
  let number = 0;
  let table: TableSpec | undefined;
  let rows: Row[] = [];
  let first = 0;
  let count = 0;
  let ended = false;
  let headed = false;
  const order = (name: TableName) => transferTables.findIndex((spec) => spec.name === name);
  for await (const text of lines) {
    number++;
    if (text.trim() === "") continue;
    const where = `line ${number}`;
    if (ended) throw new UsageError(`${where}: more lines after the export's end line`, hint);
    const value = parseJson(text, where);
    if (!headed) {
      parseInput(logExportHeader, value, `${where} (not a hookctl log export)`, hint);
      headed = true;
      continue;
    }
    if (typeof value === "object" && value !== null && "end" in value) {
      const end = parseInput(logExportEnd, value, where, hint);
      if (end.rows !== count) {
        throw new UsageError(`${where}: the export says ${end.rows} rows, the stream held ${count}`, hint);
      }
      ended = true;
      continue;
    }
    const line = parseInput(logExportRowLine, value, where, hint);
    if (table && table.name !== line.table) {
      if (order(line.table) < order(table.name)) {
        throw new UsageError(`${where}: a ${line.table} row after the ${table.name} rows`, hint);
      }
      if (rows.length > 0) yield { table, rows, lines: [first, number - 1] };
      rows = [];
    }
    table = tableSpec(line.table);
    if (rows.length === 0) first = number;
    rows.push(
      decodeRow(table, parseInput(logExportRows[line.table], line.row, `${where} (${line.table} row)`, hint)),
    );
    count++;
    if (rows.length >= chunk) {
      yield { table, rows, lines: [first, number] };
      rows = [];
    }
  }
  if (!headed) throw new UsageError("the input is empty", hint);
  if (!ended)
    throw new UsageError(`the input ended at line ${number} without the export's end line (cut off?)`, hint);
  if (table && rows.length > 0) yield { table, rows, lines: [first, number] };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${where}: not JSON`, hint);
  }
}

/** The lines of a byte stream (as it arrives: a million rows are never read at once). */
export async function* linesOf(
  stream: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): AsyncGenerator<string> {
  let rest = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    rest += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) yield line;
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}
