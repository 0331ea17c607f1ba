import { type Command, Option } from "commander";
import { deliveryStatuses } from "../../store/types.js";
import { durationArg, integerArg } from "../parsers.js";
import type { CommandHost } from "../program.js";
import { registerLogPrune } from "./log-prune.js";
import { registerLogReceived } from "./log-received.js";
import { registerLogTransfer } from "./log-transfer.js";

export function registerLog(program: Command, host: CommandHost): void {
  const log = program
    .command("log")
    .description("list deliveries, newest first; log show <id> for one in full")
    .addOption(
      new Option("--status <status>", "only deliveries in this state").choices([...deliveryStatuses]),
    )
    .option("--event <glob>", "event type glob, e.g. 'order.*' (case-sensitive)")
    .option("--endpoint <name>", "only deliveries to this endpoint")
    .option("--since <duration>", "created within this long, e.g. 15m, 2h, 7d", durationArg)
    .option("-n, --limit <n>", "how many to list", integerArg(1, 1_000_000), 50)
    .addHelpText(
      "after",
      `
A table, one row per delivery under a header: status mark, full id (or type any unique 6+
character suffix of it back), status, event type, last result and latency, attempts, created
time, endpoint (or URL), and for pending ones the next attempt time. --json prints one object per
delivery (NDJSON), durations in milliseconds.

Examples:
  hookctl log
  hookctl log --status pending --event 'order.*'
  hookctl log --endpoint orders --since 2h --limit 200 --json
  hookctl log show dlv_01JD3…
  hookctl log received`,
    )
    .action(async (_options: unknown, command: Command) => {
      const { runLog } = await import("../actions/log.js");
      host.setExitCode(await runLog(command, host.ctx));
    });

  log
    .command("show")
    .description(
      "one delivery: event, request headers (secrets masked), body, attempt timeline, next attempt",
    )
    .argument("<id>", "delivery id (dlv_…), or a unique prefix of it")
    .addHelpText(
      "after",
      `
--json prints {"delivery": {...}, "attempts": [...]}: bodies as text ("body") when UTF-8, else
base64 ("bodyBase64"); header values that carry credentials or secrets are masked.

Examples:
  hookctl log show dlv_01JD3…
  hookctl log show dlv_01JD3 --json | jq '.attempts[].statusCode'`,
    )
    .action(async (id: string, _options: unknown, command: Command) => {
      const { runLogShow } = await import("../actions/log.js");
      host.setExitCode(await runLogShow(id, command, host.ctx));
    });

  registerLogReceived(log, host);
  registerLogPrune(log, host);
  registerLogTransfer(log, host);
}
