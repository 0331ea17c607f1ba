import type { Command } from "commander";
import { integerArg } from "../parsers.js";
import type { CommandHost } from "../program.js";

/** Adds `log received [--limit] [--delivery]` and `log received show <id> [--raw]` under `log`. */
export function registerLogReceived(log: Command, host: CommandHost): void {
  const received = log
    .command("received")
    .description("requests captured by hookctl listen, newest first")
    .option("-n, --limit <n>", "how many to list", integerArg(1, 100_000), 50)
    .option("--delivery <id>", "only requests carrying this delivery id")
    .addHelpText(
      "after",
      `
A table, one row per request under a header: id, time, method and path, event type, delivery id,
verification, size, status returned, notes (duplicate, injected, refused). --json prints one
object per request (NDJSON).

Examples:
  hookctl log received
  hookctl log received --limit 10 --json
  hookctl log received --delivery dlv_01JD3…
  hookctl log received show rcv_01JD3…
  hookctl log received show rcv_01JD3… --raw > body.bin`,
    )
    .action(async (_options: Record<string, unknown>, command: Command) => {
      const { runLogReceived } = await import("../actions/log-received.js");
      host.setExitCode(await runLogReceived(command, host.ctx));
    });
  received
    .command("show")
    .description("one captured request, byte-exact: headers and body")
    .argument("<id>", "the request's id (rcv_…), or a unique prefix of it")
    .option("--raw", "write only the body's exact bytes to stdout")
    .addHelpText(
      "after",
      `
--json prints the request with its headers and body ("body" when UTF-8 text, else "bodyBase64").

Examples:
  hookctl log received show rcv_01JD3…
  hookctl log received show rcv_01JD3 --raw | sha256sum
  hookctl log received show rcv_01JD3… --json`,
    )
    .action(async (id: string, _options: Record<string, unknown>, command: Command) => {
      const { runLogReceivedShow } = await import("../actions/log-received.js");
      host.setExitCode(await runLogReceivedShow(id, command, host.ctx));
    });
}
