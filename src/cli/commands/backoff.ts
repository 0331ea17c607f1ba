import type { Command } from "commander";
import { defaultPolicy } from "../../delivery/policy.js";
import { addPolicyOptions } from "../policy-flags.js";
import type { CommandHost } from "../program.js";
import { policyWords } from "../render/policy.js";

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

Which answers are retried: network errors, timeouts, 408, 409, 423, 425, 429, 5xx (and any other
non-2xx). 410 Gone is dead at once. A 4xx that says the request itself is wrong (400, 401, 403,
404, 405, 413, 415, 422, ...) would fail the same way on every retry: the delivery is dead at once
as "rejected" (fix the cause, then hookctl dlq requeue), unless --retry-4xx retries it too.

Examples:
  hookctl backoff                                  # the defaults: ${policyWords(defaultPolicy)}
  hookctl backoff --retries 5 --max-delay 5m
  hookctl backoff --initial 500ms --factor 2 --jitter 0
  hookctl backoff --json | jq '.retries[-1].cumulativeMs'`,
    )
    .action(async (_options: unknown, cmd: Command) => {
      const { runBackoff } = await import("../actions/backoff.js");
      host.setExitCode(runBackoff(cmd, host.ctx));
    });
}
