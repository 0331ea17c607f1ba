import type { Command } from "commander";
import { durationArg } from "../parsers.js";
import type { CommandHost } from "../program.js";

/** Adds `log prune --older-than <duration>` under `log`. */
export function registerLogPrune(log: Command, host: CommandHost): void {
  log
    .command("prune")
    .description("delete finished deliveries older than a duration, with their attempts and events")
    .requiredOption(
      "--older-than <duration>",
      "finished (succeeded or dead) longer ago than this, e.g. 30d",
      durationArg,
    )
    .option("--received", "also delete requests captured by hookctl listen before the cutoff")
    .option(
      "--vacuum",
      "then give the freed space back (SQLite: VACUUM, slow, locks the log; PostgreSQL: VACUUM (ANALYZE))",
    )
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
    .option("--dry-run", "count what would be deleted and change nothing")
    .addHelpText(
      "after",
      `
Deletes succeeded and dead deliveries whose completion is older than the cutoff, with their
attempts and their sent dead-letter alerts; then events no delivery refers to any more (an event
an idempotency key of serve still names stays until serve lets the key expire); with --received,
captured requests too. Pending and in-flight deliveries are never touched, however old. Rows go
2,000 deliveries per transaction, so a replay or serve sharing the log keeps running.
Off a terminal it refuses without --yes (exit 2). --json prints one object with the counts and
the cutoff. Ctrl-C stops after the chunk in hand (exit 130); run it again for the rest.

On a PostgreSQL log (--db postgres://…) the same rows go by the same rules, a chunk per
transaction; schedulers and serve never wait on it. --vacuum there runs VACUUM (ANALYZE) on the
pruned tables: their space is reused by new rows, but PostgreSQL returns to the disk only what
sat at a table's end, so freedBytes is often 0 (VACUUM FULL, which locks them, is left to you).
It also drops scope sets over a day old (replay scopes left by processes that died).

Examples:
  hookctl log prune --older-than 30d --dry-run
  hookctl log prune --older-than 30d --yes
  hookctl log prune --older-than 7d --received --yes --json
  hookctl log prune --older-than 90d --yes --vacuum`,
    )
    .action(async (_options: unknown, command: Command) => {
      const { runLogPrune } = await import("../actions/log-prune.js");
      host.setExitCode(await runLogPrune(command, host.ctx));
    });
}
