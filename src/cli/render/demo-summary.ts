import type { DemoSummaryJson } from "../../contract/schema/tools.js";
import type { DeliveryStatus } from "../../store/types.js";
import type { Styles } from "../output.js";

export interface DemoRow {
  endpoint: string;
  behaviour: string;
  eventType: string;
  deliveryId: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  asExpected: boolean;
}

function outcome(row: DemoRow): string {
  if (row.status === "succeeded")
    return row.attempts === 1 ? "delivered first time" : `delivered after ${row.attempts} attempts`;
  if (row.status === "dead")
    return row.lastStatusCode === 410
      ? "dead letter (410 Gone)"
      : `dead letter after ${row.attempts} attempts`;
  return row.status;
}

/** The closing table and the exact commands to look further. */
export function demoSummaryLines(rows: readonly DemoRow[], style: Styles, dbFlag: string): string[] {
  const cells = rows.map((row) => [row.endpoint, row.behaviour, row.eventType, outcome(row), row.deliveryId]);
  const header = ["endpoint", "receiver", "event", "outcome", "delivery id"];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...cells.map((c) => (c[i] as string).length)),
  );
  const format = (c: string[]) =>
    c
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  const paint = (row: DemoRow, text: string) =>
    row.status === "succeeded" ? style.ok(text) : row.status === "dead" ? style.fail(text) : style.warn(text);
  const first = rows.filter((r) => r.status === "succeeded" && r.attempts === 1).length;
  const retried = rows.filter((r) => r.status === "succeeded" && r.attempts > 1);
  const dead = rows.filter((r) => r.status === "dead");
  const lines = [
    "",
    style.bold("summary"),
    format(header),
    ...rows.map((row, i) => paint(row, format(cells[i] as string[]))),
  ];
  lines.push(
    "",
    `delivered first time: ${first} · delivered after retries: ${retried.length} (${retried.map((r) => `${r.attempts} attempts`).join(", ") || "none"}) · dead letters: ${dead.length}`,
    "",
    style.bold("next"),
    `  hookctl log${dbFlag}                     # every delivery and its attempts`,
    `  hookctl log received${dbFlag}            # what the receivers saw, byte for byte`,
    `  hookctl inspect${dbFlag}                 # browse the dead letters`,
  );
  if (dead[0]) lines.push(`  hookctl dlq requeue${dbFlag} ${dead[0].deliveryId} && hookctl replay${dbFlag}`);
  return lines;
}

export function demoSummaryJson(rows: readonly DemoRow[], dbPath: string): DemoSummaryJson {
  return {
    db: dbPath,
    deliveries: rows.map(({ attempts, ...row }) => ({ ...row, attemptCount: attempts })),
    deliveredFirstTime: rows.filter((r) => r.status === "succeeded" && r.attempts === 1).length,
    deliveredAfterRetries: rows.filter((r) => r.status === "succeeded" && r.attempts > 1).length,
    dead: rows.filter((r) => r.status === "dead").length,
    asExpected: rows.every((r) => r.asExpected),
  };
}
