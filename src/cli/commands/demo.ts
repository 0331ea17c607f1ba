import type { Command } from "commander";
import type { CommandHost } from "../program.js";

export function registerDemo(program: Command, host: CommandHost): void {
  program
    .command("demo")
    .description(
      "run the whole loop on a temporary log: flaky local receivers, signed sends, real retries, dead letters, a summary",
    )
    .option("--keep", "leave the receivers running after the summary (Ctrl-C or SIGTERM stops them)")
    .addHelpText(
      "after",
      `
Five local receivers misbehave on purpose (healthy, fails twice, 429 with Retry-After, 410 Gone,
always 503). Events are persisted, signed, sent, retried on a fast policy (200ms growing to 5s over
4 retries) and end delivered or dead. Takes about 10 seconds. Exit 0 when every delivery ended the
way its receiver's behaviour says it should. With --keep the receivers stay up after the summary,
so the suggested \`dlq requeue ... && replay\` delivers; it then exits 0 on SIGTERM, 130 on Ctrl-C.

Examples:
  hookctl demo                        # temporary log, kept for the commands it suggests
  hookctl --db ./demo.db demo         # keep the log where you want it
  hookctl demo --json | jq .dead      # the summary as JSON
  hookctl demo --keep                 # keep the receivers up to requeue into`,
    )
    .action(async (_options: unknown, command: Command) => {
      const { runDemo } = await import("../actions/demo.js");
      host.setExitCode(await runDemo(command, host.ctx));
    });
}
