import type { DemoSummaryJson } from "../../contract/schema/tools.js";
import { table } from "../../format/table.js";
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

/** Where a requeued dead letter can go once the demo's sends are over. */
export interface DemoNext {
  /** A healthy receiver `demo --keep` leaves running; null when the receivers are gone. */
  keptUrl: string | null;
}

/**
 * The closing table and the exact commands to look further. Each suggestion works when typed:
 * a dead letter's own receiver is gone (or still failing), so a requeue goes `--to` a receiver
 * that is up — the kept healthy one, or one the suggestion itself starts.
 */
export function demoSummaryLines(
  rows: readonly DemoRow[],
  style: Styles,
  dbFlag: string,
  next: DemoNext = { keptUrl: null },
): string[] {
  const cells = rows.map((row) => [row.endpoint, row.behaviour, row.eventType, outcome(row), row.deliveryId]);
  const [header, ...body] = table(
    ["endpoint", "receiver", "event", "outcome", "delivery id"].map((title) => ({ header: title })),
    cells,
  );
  const paint = (row: DemoRow, text: string) =>
    row.status === "succeeded" ? style.ok(text) : row.status === "dead" ? style.fail(text) : style.warn(text);
  const first = rows.filter((r) => r.status === "succeeded" && r.attempts === 1).length;
  const retried = rows.filter((r) => r.status === "succeeded" && r.attempts > 1);
  const dead = rows.filter((r) => r.status === "dead");
  const lines = [
    "",
    style.bold("summary"),
    header as string,
    ...rows.map((row, i) => paint(row, body[i] as string)),
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
  const letter = dead.find((r) => r.lastStatusCode !== 410) ?? dead[0];
  if (letter && next.keptUrl) {
    lines.push(
      `  hookctl dlq requeue${dbFlag} ${letter.deliveryId} --to ${next.keptUrl} && hookctl replay${dbFlag}`,
      style.dim("    # requeue a dead letter into the healthy receiver, still running"),
    );
  } else if (letter) {
    lines.push(
      `  hookctl demo --keep                    # again, with the receivers left running to requeue into`,
      `  hookctl listen${dbFlag} --port 4000    # or, in another terminal, a receiver that answers 200; then:`,
      `  hookctl dlq requeue${dbFlag} ${letter.deliveryId} --to :4000 && hookctl replay${dbFlag}`,
    );
  }
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
