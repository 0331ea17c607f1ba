import { type Command, Option } from "commander";
import { formatDuration } from "../../config/duration.js";
import { schemeNames } from "../../signing/index.js";
import { defaultTimeoutMs } from "../actions/send-input.js";
import { collect, durationOption, integerArg, rateArg, timerArg } from "../parsers.js";
import { addPolicyOptions } from "../policy-flags.js";
import type { CommandHost } from "../program.js";
import { addTlsOptions } from "../tls-flags.js";

const eventsFlagSpec = "--events <globs>";
const eventsFlagHelp =
  "only these event types, as comma-separated globs (repeatable), e.g. 'order.*,invoice.paid'";

const subscriptionHelp = `
--events: * matches any run of characters, dots included (order.* takes order.paid and
order.item.added), ? exactly one; the rest matches itself, case-sensitively. Without --events
an endpoint receives every type. hookctl serve fans each event out to the endpoints whose list
matches its type; send <endpoint> names its target and ignores the list.`;

export function registerEndpoint(program: Command, host: CommandHost): void {
  const endpoint = program
    .command("endpoint")
    .description(
      "manage named endpoints: URL, signature scheme, secrets, limits, retry policy and the event types they receive",
    )
    .addHelpText(
      "after",
      `
Examples:
  hookctl endpoint add orders --url http://localhost:3000/webhooks --generate-secret
  hookctl endpoint list
  hookctl endpoint show orders
  hookctl endpoint set orders --events 'order.*,invoice.paid'
  hookctl endpoint rotate-secret orders --grace 24h
  hookctl endpoint rm orders`,
    );

  const add = endpoint
    .command("add")
    .description("add a named endpoint")
    .argument("<name>", "a short name to send to (letters, digits, . _ -)")
    .requiredOption(
      "--url <url>",
      "where deliveries go: an http(s) URL, or host:port[/path] (:port means 127.0.0.1)",
    )
    .addOption(
      new Option("--scheme <name>", "signature scheme")
        .choices([...schemeNames, "standard-webhooks"])
        .default("hookctl"),
    )
    .option("--secret <secret>", "signing secret (repeatable; env HOOKCTL_SECRET)", collect)
    .option("--secret-file <path>", "file with one secret per line")
    .option("--generate-secret", "make a new whsec_ secret and print it once")
    .option("--rate <rate>", "at most this many attempts per second, e.g. 10/s", rateArg)
    .option("--concurrency <n>", "at most this many attempts at once", integerArg(1, 10_000))
    .option(
      "--timeout <duration>",
      `per-attempt timeout (default: ${formatDuration(defaultTimeoutMs)})`,
      timerArg,
    )
    .option(eventsFlagSpec, eventsFlagHelp, collect);
  addPolicyOptions(add);
  addTlsOptions(add, "this endpoint");
  add
    .addHelpText(
      "after",
      `
Secrets are stored in the log (mode 0600) and shown masked everywhere except right here with
--generate-secret and after rotate-secret. Policy flags set this endpoint's retry schedule.
${subscriptionHelp}

Examples:
  hookctl endpoint add orders --url http://localhost:3000/webhooks --generate-secret
  hookctl endpoint add billing --url https://billing.test/hooks --scheme standard --secret-file billing.key
  HOOKCTL_SECRET=s3cret hookctl endpoint add local --url http://127.0.0.1:8080/ --rate 5/s --retries 3
  hookctl endpoint add shop --url https://shop.test/hooks --generate-secret --events 'order.*,invoice.paid'`,
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const { runEndpointAdd } = await import("../actions/endpoint.js");
      host.setExitCode(await runEndpointAdd(name, command, host.ctx));
    });

  endpoint
    .command("list")
    .description("list endpoints (secrets masked)")
    .addHelpText("after", "\nExamples:\n  hookctl endpoint list\n  hookctl endpoint list --json")
    .action(async (_options: unknown, command: Command) => {
      const { runEndpointList } = await import("../actions/endpoint.js");
      host.setExitCode(await runEndpointList(command, host.ctx));
    });

  endpoint
    .command("show")
    .description("one endpoint: settings, secrets with their expiry (masked), delivery counts")
    .argument("<name>", "endpoint name")
    .addHelpText(
      "after",
      "\nExamples:\n  hookctl endpoint show orders\n  hookctl endpoint show orders --json",
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const { runEndpointShow } = await import("../actions/endpoint.js");
      host.setExitCode(await runEndpointShow(name, command, host.ctx));
    });

  endpoint
    .command("set")
    .description("change which event types an endpoint receives (the list given replaces the old one)")
    .argument("<name>", "endpoint name")
    .option(eventsFlagSpec, eventsFlagHelp, collect)
    .option("--all-events", "receive every event type again (as without --events)")
    .addHelpText(
      "after",
      `${subscriptionHelp}

Deliveries already queued are not touched; the new list applies to events accepted from now on.

Examples:
  hookctl endpoint set orders --events 'order.*,invoice.paid'
  hookctl endpoint set orders --events 'payment.?'
  hookctl endpoint set orders --all-events --json`,
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const { runEndpointSet } = await import("../actions/endpoint-change.js");
      host.setExitCode(await runEndpointSet(name, command, host.ctx));
    });

  endpoint
    .command("rm")
    .description("remove an endpoint and its secrets (finished deliveries keep their history)")
    .argument("<name>", "endpoint name")
    .option(
      "--force",
      "remove even with deliveries still waiting (they become dead letters; those in flight get up to 30s to be recorded first)",
    )
    .option("-y, --yes", "do not ask (needed when not on a terminal)")
    .addHelpText(
      "after",
      "\nOn a terminal it asks first; elsewhere it needs --yes.\n\nExamples:\n  hookctl endpoint rm orders\n  hookctl endpoint rm orders --yes --force",
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const { runEndpointRm } = await import("../actions/endpoint-change.js");
      host.setExitCode(await runEndpointRm(name, command, host.ctx));
    });

  endpoint
    .command("rotate-secret")
    .description("make a new primary secret; the old one stays valid (and signed with) until --grace ends")
    .argument("<name>", "endpoint name")
    .addOption(durationOption("--grace <duration>", "how long the old secret stays valid", 24 * 3_600_000))
    .option("--secret <secret>", "use this secret instead of generating one", collect)
    .option("--secret-file <path>", "read the new secret from a file")
    .addHelpText(
      "after",
      `
A generated secret is printed in full exactly once, here. During the grace period, schemes that
carry several signatures (standard, svix, stripe) sign with both secrets; the others sign with
the new one only.

Examples:
  hookctl endpoint rotate-secret orders
  hookctl endpoint rotate-secret orders --grace 1h --json
  hookctl endpoint rotate-secret orders --secret-file next.key --grace 0s`,
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const { runEndpointRotate } = await import("../actions/endpoint-change.js");
      host.setExitCode(await runEndpointRotate(name, command, host.ctx));
    });
}
