import type { Command } from "commander";
import { addPolicyOptions } from "../policy-flags.js";
import type { CommandHost } from "../program.js";

export function registerBackoff(program: Command, host: CommandHost): void {
  const command = program
    .command("backoff")
    .description(
      "print the retry schedule a policy gives: each retry's delay, its jitter range, the time so far",
    );
  addPolicyOptions(command)
    .addHelpText(
      "after",
      `
The first attempt is immediate. The delay before retry n is min(max-delay, initial x factor^(n-1)),
then multiplied by a random factor in [1-jitter, 1+jitter] and capped at max-delay. A Retry-After
from the receiver can only push a retry later. Cumulative time adds up the delays before jitter.

Examples:
  hookctl backoff                                  # the defaults: 10 retries, 1s growing to 60m
  hookctl backoff --retries 5 --max-delay 5m
  hookctl backoff --initial 500ms --factor 2 --jitter 0
  hookctl backoff --json | jq '.retries[-1].cumulativeMs'`,
    )
    .action(async (_options: unknown, cmd: Command) => {
      const { runBackoff } = await import("../actions/backoff.js");
      host.setExitCode(runBackoff(cmd, host.ctx));
    });
}
