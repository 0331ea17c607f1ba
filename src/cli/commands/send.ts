import { type Command, Option } from "commander";
import { formatDuration } from "../../config/duration.js";
import { schemeNames } from "../../signing/index.js";
import { defaultTimeoutMs } from "../actions/send-input.js";
import { collect, integerArg, rateArg, timerArg } from "../parsers.js";
import { addPolicyOptions } from "../policy-flags.js";
import type { CommandHost } from "../program.js";
import { addTlsOptions } from "../tls-flags.js";

export function registerSend(program: Command, host: CommandHost): void {
  const send = program
    .command("send")
    .description("persist, sign and deliver test events; a failed attempt schedules a retry")
    .argument(
      "[target]",
      "an endpoint name (see hookctl endpoint list), an http(s) URL, or host:port[/path] (:port means 127.0.0.1)",
    )
    .argument("[file]", "payload file, or - for stdin (piped stdin is read when no file is given)")
    .option("-d, --data <string>", "the payload inline")
    .option("-f, --fixture <name>", "a bundled sample event as the payload (see --list-fixtures)")
    .option("--list-fixtures", "list the bundled sample events and exit")
    .option("-e, --event <type>", "event type (default: the fixture's, else test.event)")
    .option("-H, --header <header>", 'extra request header "Name: value" (repeatable)', collect)
    .addOption(
      new Option("--scheme <name>", "signature scheme (default: the endpoint's, else hookctl)").choices([
        ...schemeNames,
        "standard-webhooks",
      ]),
    )
    .option("--secret <secret>", "signing secret (repeatable; env HOOKCTL_SECRET)", collect)
    .option("--secret-file <path>", "file with one secret per line")
    .option(
      "--timeout <duration>",
      `bound on connect, headers and body (default: the endpoint's, else ${formatDuration(defaultTimeoutMs)})`,
      timerArg,
    )
    .option("-n, --count <n>", "how many events to create and send", integerArg(1, 10_000_000), 1)
    .option(
      "-c, --concurrency <n>",
      "sends in flight at once (default: the endpoint's, else 1)",
      integerArg(1, 10_000),
    )
    .option("--rate <rate>", "at most this many sends per second, e.g. 50/s or 600/m", rateArg)
    .option("--duplicate <n>", "send each delivery n times with the same delivery id", integerArg(1, 1000), 1)
    .option("--shuffle", "mix the order of all sends (with --duplicate: copies interleave)")
    .option("--wait", "retry failures on the policy's schedule until each delivery succeeds or is dead");
  addPolicyOptions(send);
  addTlsOptions(send, "the target");
  send
    .addHelpText(
      "after",
      `
Every event and delivery is written to the log before any request. Each delivery gets one
immediate attempt; if it fails (network error, timeout, non-2xx) it stays pending with its next
retry scheduled by the retry policy, and hookctl replay runs it (or --wait: this run does, as
replay would, showing replay's progress). Without a payload, the ping
fixture is sent. Output: one line per delivery (--json: one object per delivery); runs of more
than one send end with a summary on stderr (latency percentiles and a status histogram).
Exit codes: 0 all delivered, 1 some not delivered (yet; with --wait: dead), 2 bad input,
130 interrupted.

Examples:
  hookctl send http://localhost:3000/webhooks --fixture order.created --secret s3cret
  hookctl send orders event.json
  echo '{"hello":"world"}' | hookctl send http://localhost:3000/hook --event greeting.sent
  hookctl send orders --fixture user.signup --count 1000 --concurrency 16 --rate 200/s
  hookctl send orders --fixture order.paid --duplicate 3 --shuffle --count 20
  hookctl send orders --fixture invoice.paid --wait --retries 3 --initial 500ms
  hookctl send --list-fixtures`,
    )
    .action(
      async (target: string | undefined, file: string | undefined, _options: unknown, command: Command) => {
        const { runSend } = await import("../actions/send.js");
        host.setExitCode(await runSend(target, file, command, host.ctx));
      },
    );
}
