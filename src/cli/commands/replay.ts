import { type Command, Option } from "commander";
import { addAlertOptions } from "../alert-flags.js";
import { durationArg, integerArg } from "../parsers.js";
import { addPolicyOptions } from "../policy-flags.js";
import type { CommandHost } from "../program.js";
import { addTlsOptions } from "../tls-flags.js";

export function registerReplay(program: Command, host: CommandHost): void {
  const command = program
    .command("replay")
    .description("run the retry schedule until nothing is pending, or requeue stored deliveries and run them")
    .argument("[delivery-ids...]", "requeue these deliveries (dead, succeeded or pending) and run them")
    .addOption(
      new Option(
        "--status <status>",
        "requeue deliveries in this state (default: any but in flight)",
      ).choices(["dead", "succeeded", "pending"]),
    )
    .option("--since <duration>", "requeue deliveries created within this long (e.g. 1h)", durationArg)
    .option("--event <glob>", "requeue deliveries of event types matching a glob (order.*)")
    .option("--endpoint <name>", "requeue deliveries to this endpoint")
    .option("--to <url>", "send the requeued deliveries to this URL (or host:port[/path], :port) instead")
    .option("--new-id", "requeue as new deliveries with fresh ids (the old ones stay as they are)")
    .option("--dry-run", "list what would be requeued and change nothing")
    .option(
      "--watch",
      "keep running and pick up deliveries other processes add; waits out a log that is away for a while (Ctrl-C to stop)",
    )
    .option("--due", "attempt only what is due now, then exit (later retries stay scheduled)")
    .option(
      "--for <duration>",
      "run the schedule at most this long (e.g. 10m), then stop as Ctrl-C does",
      durationArg,
    )
    .option("--concurrency <n>", "attempts running at once", integerArg(1, 1000), 8)
    .option(
      "--lease-margin <duration>",
      "how long past a delivery's timeout its lease outlives a crashed replay before another may retake it (default 5s)",
      durationArg,
    );
  addTlsOptions(command, "the requeued deliveries");
  addAlertOptions(command);
  addPolicyOptions(command)
    .addHelpText(
      "after",
      `
Without ids or selectors, replay delivers everything due, sleeps until the next scheduled retry,
and exits when nothing is pending or in flight; it says up front how long that can take if every
retry fails. Ctrl-C (or --for running out) loses nothing: attempts in flight finish and are
recorded, the rest stays scheduled for the next replay. --due attempts only what is due now and
exits. With ids or selectors it first puts those
deliveries back to pending (schedule reset, next attempt now, marked manual in the log), then runs
just them. Policy flags override the policy recorded with each delivery for this run.

Dead-letter alerts (--on-dead, --alert-url): each delivery that becomes dead while the sink is
registered (from its first run on) is alerted at least once, with a stable alert id. A failing
alert is retried (1s doubling to 5m, given up after a day) and never holds up deliveries; once the
schedule is done replay gives alerts a few seconds, and what is left stays in the log for the
next replay or serve with the same flag.

Exit codes: 0 no delivery became dead (also when --for ran out with work left), 1 some became
dead, 2 bad input, 130 interrupted
(a second Ctrl-C stops at once; leases then expire and the next run picks the work up).

Examples:
  hookctl replay                                   # run the schedule until it is empty
  hookctl replay --watch                           # keep delivering what others add
  hookctl replay --due                             # what is due now, then exit
  hookctl replay --for 10m                         # at most ten minutes of the schedule
  hookctl replay dlv_01JC3Z8V0M7K2Q4R5S6T7V8W9X     # retry one delivery now
  hookctl replay --status dead --since 1h --dry-run
  hookctl replay --status dead --endpoint billing --to http://localhost:4000/hooks
  hookctl replay --retries 2 --max-delay 10s --json | jq -c 'select(.type == "delivery-dead")'
  hookctl replay --watch --on-dead 'jq -r .delivery.url | mail -s "dead letter" ops@example.com'`,
    )
    .action(async (ids: string[], _options: unknown, cmd: Command) => {
      const { runReplay } = await import("../actions/replay.js");
      host.setExitCode(await runReplay(ids, cmd, host.ctx));
    });
}
