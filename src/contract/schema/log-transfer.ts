import * as z from "zod/mini";
import {
  type ColumnType,
  type TableSpec,
  tableField,
  tableNames,
  transferTables,
} from "../../store/transfer/tables.js";
import { instant } from "./common.js";

/**
 * `hookctl log export`'s stream, which `log import` reads: NDJSON, a header line, then one line
 * per row tagged with its table (tables in foreign-key order, rows in key order), then an end
 * line with the number of row lines, so a cut-off stream is refused rather than half-imported.
 * Rows are the stored columns in camelCase: times ISO 8601, bytes as `…Base64`, JSON columns the
 * text stored. Endpoint secrets and the secrets stored with deliveries are in it, in full.
 */
export const logExportHeader = z.object({
  format: z.literal("hookctl-log"),
  version: z.literal(1),
  exportedAt: instant,
  source: z.enum(["sqlite", "postgres"]),
});

export const logExportEnd = z.object({ end: z.literal(true), rows: z.int().check(z.nonnegative()) });

const fieldSchemas: Record<ColumnType, z.ZodMiniType> = {
  text: z.string(),
  integer: z.int(),
  real: z.number(),
  time: instant,
  bytes: z.base64(),
};

function rowSchema(table: TableSpec) {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const column of table.columns) {
    const field = fieldSchemas[column.type];
    shape[column.field] = column.nullable ? z.nullable(field) : field;
  }
  return z.strictObject(shape);
}

/** Each table's row, by table name. */
export const logExportRows = Object.fromEntries(
  transferTables.map((table) => [table.name, rowSchema(table)]),
) as Record<(typeof tableNames)[number], ReturnType<typeof rowSchema>>;

/** A row line before its row is checked: which table, and an object. */
export const logExportRowLine = z.object({
  table: z.enum(tableNames),
  row: z.record(z.string(), z.unknown()),
});

/** Any line of the stream (for `hookctl schema`). */
export const logExportLine = z.union([
  logExportHeader,
  ...transferTables.map((table) =>
    z.object({ table: z.literal(table.name), row: logExportRows[table.name] }),
  ),
  logExportEnd,
]);

/**
 * `log export --to … --json` and `log import --json`: where from and to (a PostgreSQL URL with
 * its password masked), the rows copied per table, and how many in-flight deliveries came over
 * as due.
 */
export const logTransferResult = z.object({
  from: z.string(),
  to: z.string(),
  rows: z.object(Object.fromEntries(tableNames.map((name) => [tableField(name), z.int()]))),
  total: z.int(),
  leasesReleased: z.int(),
});

export type LogTransferResultJson = z.infer<typeof logTransferResult>;
