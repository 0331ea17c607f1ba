import type { Command } from "commander";
import { durationArg, integerArg } from "../parsers.js";
import type { CommandHost } from "../program.js";

export function registerDlq(program: Command, host: CommandHost): void {
  const dlq = program
    .command("dlq")
    .description("dead letters: deliveries whose retries ran out (or that got 410 Gone or a 4xx rejection)")
    .addHelpText(
      "after",
      `
Examples:
  hookctl dlq list
  hookctl dlq list --endpoint billing --event 'invoice.*' --json
  hookctl dlq show dlv_01JC3Z8V0M7K2Q4R5S6T7V8W9X
  hookctl dlq requeue --all --dry-run
  hookctl dlq requeue dlv_01JC3Z8V0M7K2Q4R5S6T7V8W9X && hookctl replay
  hookctl dlq purge --older-than 7d --yes`,
    );

  dlq
    .command("list", { isDefault: true })
    .description("list dead letters, newest first (the default)")
    .option("--endpoint <name>", "only deliveries to this endpoint")
    .option("--event <glob>", "only event types matching a glob (order.*)")
    .option("--limit <n>", "show at most n", integerArg(1), 100)
    .addHelpText(
      "after",
      "\nExamples:\n  hookctl dlq list\n  hookctl dlq list --event 'order.*' --json | jq -r .id",
    )
    .action(async (_options: unknown, cmd: Command) => {
      const { runDlqList } = await import("../actions/dlq.js");
      host.setExitCode(await runDlqList(cmd, host.ctx));
    });

  dlq
    .command("show")
    .description("a dead letter with every attempt: status, headers, body, error, latency")
    .argument("<delivery-id>", "the dead delivery")
    .addHelpText(
      "after",
      "\nExamples:\n  hookctl dlq show dlv_01JC3Z8V0M7K2Q4R5S6T7V8W9X\n  hookctl dlq show dlv_01JC3Z8V0M7K2Q4R5S6T7V8W9X --json",
    )
    .action(async (id: string, _options: unknown, cmd: Command) => {
      const { runDlqShow } = await import("../actions/dlq.js");
      host.setExitCode(await runDlqShow(id, cmd, host.ctx));
    });

  dlq
    .command("requeue")
    .description("put dead letters back to pending, due now (then run hookctl replay)")
    .argument("[delivery-ids...]", "dead deliveries to requeue")
    .option("--all", "every dead letter (narrow with --endpoint / --event)")
    .option("--endpoint <name>", "with --all: only this endpoint's")
    .option("--event <glob>", "with --all: only event types matching a glob")
    .option("--to <url>", "send them to this URL instead")
    .option("--new-id", "requeue as new deliveries with fresh ids (the dead ones stay)")
    .option("--dry-run", "list what would be requeued and change nothing")
    .addHelpText(
      "after",
      "\nExamples:\n  hookctl dlq requeue dlv_01JC3Z8V0M7K2Q4R5S6T7V8W9X\n  hookctl dlq requeue --all --endpoint billing --dry-run\n  hookctl dlq requeue --all --to http://localhost:4000/hooks && hookctl replay",
    )
    .action(async (ids: string[], _options: unknown, cmd: Command) => {
      const { runDlqRequeue } = await import("../actions/dlq.js");
      host.setExitCode(await runDlqRequeue(ids, cmd, host.ctx));
    });

  dlq
    .command("purge")
    .description("delete dead letters, their attempts, and events nothing else refers to")
    .argument("[delivery-ids...]", "dead deliveries to delete")
    .option("--all", "every dead letter (narrow with --endpoint / --event)")
    .option("--older-than <duration>", "dead letters that died longer ago than this (7d)", durationArg)
    .option("--endpoint <name>", "only this endpoint's")
    .option("--event <glob>", "only event types matching a glob")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
    .option("--dry-run", "list what would be deleted and change nothing")
    .addHelpText(
      "after",
      "\nExamples:\n  hookctl dlq purge dlv_01JC3Z8V0M7K2Q4R5S6T7V8W9X\n  hookctl dlq purge --older-than 7d --yes\n  hookctl dlq purge --all --endpoint staging --dry-run",
    )
    .action(async (ids: string[], _options: unknown, cmd: Command) => {
      const { runDlqPurge } = await import("../actions/dlq-purge.js");
      host.setExitCode(await runDlqPurge(ids, cmd, host.ctx));
    });
}
