import type { LogTransferResultJson } from "../../contract/schema/log-transfer.js";
import { rowsInWords, tableField, tableNames } from "../../store/transfer/tables.js";
import type { TableCounts } from "../../store/transfer/write.js";
import { count } from "../render/count.js";

/** What a copy moved, as `--json` prints it. */
export function transferResult(
  from: string,
  to: string,
  rows: TableCounts,
  leasesReleased: number,
): LogTransferResultJson {
  return {
    from,
    to,
    rows: Object.fromEntries(tableNames.map((name) => [tableField(name), rows[name]])),
    total: tableNames.reduce((sum, name) => sum + rows[name], 0),
    leasesReleased,
  };
}

/** `3 endpoints, 4 endpoint secrets, 12 deliveries (…)`: the tables that held rows. */
export function listedRows(rows: TableCounts): string {
  const held = tableNames.filter((name) => rows[name] > 0);
  if (held.length === 0) return "no rows (the log is empty)";
  const total = tableNames.reduce((sum, name) => sum + rows[name], 0);
  const parts = held.map((name) => rowsInWords(name, rows[name], count));
  return `${count(total)} rows (${parts.join(", ")})`;
}

/** The human line after a copy into another log. */
export function transferSummary(result: LogTransferResultJson, rows: TableCounts): string {
  const due =
    result.leasesReleased > 0
      ? `; ${count(result.leasesReleased)} in-flight ${result.leasesReleased === 1 ? "delivery comes" : "deliveries come"} over as due`
      : "";
  return `copied ${listedRows(rows)} from ${result.from} to ${result.to}${due}`;
}
