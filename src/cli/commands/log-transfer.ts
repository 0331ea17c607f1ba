import type { Command } from "commander";
import type { CommandHost } from "../program.js";

/** Adds `log export` and `log import` under `log`: moving a log between SQLite and PostgreSQL. */
export function registerLogTransfer(log: Command, host: CommandHost): void {
  log
    .command("export")
    .description("write the whole log as NDJSON (secrets included), or copy it into another log with --to")
    .option(
      "--to <db>",
      "copy straight into this log instead: a SQLite file or a postgres:// URL; it must be empty",
    )
    .option("-o, --output <file>", "write the stream into this new file (mode 0600) instead of stdout")
    .addHelpText(
      "after",
      `
Reads the log --db names (or HOOKCTL_DB) as it is at one moment, while it stays in use, and
moves every table: endpoints with their secrets, events, deliveries, attempts, captured
requests, idempotency keys, alert sinks and alerts, relay channels, requests and cursors, with
their ids. Deliveries in flight come over pending and due, so the target's schedulers take them
at once (at least once, as after a crash).

Without --to it prints a stream for hookctl log import: a header line, one line per row
({"table": …, "row": {…}}: camelCase columns, times ISO 8601, bytes base64), and an end line.
It holds every secret in full: it is never written to a terminal, and --output creates a file
only you can read. With --to the copy is one transaction in the target: all of it or nothing.
A target that holds any row is refused (exit 2). --json (with --to) prints one object with the
rows per table. Ctrl-C stops it with nothing copied (exit 130).

Examples:
  hookctl log export --to postgres://hookctl@db.internal/hooks
  hookctl --db postgres://hookctl@db.internal/hooks log export --to ./hookctl.db
  hookctl log export --output hookctl.ndjson
  hookctl log export | gzip > hookctl.ndjson.gz`,
    )
    .action(async (_options: unknown, command: Command) => {
      const { runLogExport } = await import("../actions/log-export.js");
      host.setExitCode(await runLogExport(command, host.ctx));
    });

  log
    .command("import")
    .description("load a log export (NDJSON) into the log --db names, which must be empty")
    .argument("[file]", "the export, or - (the default) for stdin")
    .addHelpText(
      "after",
      `
Loads what hookctl log export wrote into --db (a SQLite file, created if missing, or a
postgres:// URL), in one transaction: every line is checked first, and a bad line (exit 2,
named by its number), a cut-off stream or Ctrl-C leaves the log as empty as it was. A log that
holds any row is refused (exit 2). --json prints one object with the rows per table.

Examples:
  hookctl --db postgres://hookctl@db.internal/hooks log import hookctl.ndjson
  gunzip -c hookctl.ndjson.gz | hookctl --db ./restored.db log import -`,
    )
    .action(async (file: string | undefined, _options: unknown, command: Command) => {
      const { runLogImport } = await import("../actions/log-import.js");
      host.setExitCode(await runLogImport(file, command, host.ctx));
    });
}
