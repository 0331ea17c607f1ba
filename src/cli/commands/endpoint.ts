import { type Command, Option } from "commander";
import { formatDuration } from "../../config/duration.js";
import { schemeNames } from "../../signing/index.js";
import { defaultTimeoutMs } from "../actions/send-input.js";
import { collect, durationOption, integerArg, rateArg, timerArg } from "../parsers.js";
import { addPolicyOptions } from "../policy-flags.js";
import type { CommandHost } from "../program.js";
import { addTlsOptions } from "../tls-flags.js";

export function registerEndpoint(program: Command, host: CommandHost): void {
  const endpoint = program
    .command("endpoint")
    .description("manage named endpoints: URL, signature scheme, secrets, limits and retry policy")
    .addHelpText(
      "after",
      `
Examples:
  hookctl endpoint add orders --url http://localhost:3000/webhooks --generate-secret
  hookctl endpoint list
  hookctl endpoint show orders
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
    );
  addPolicyOptions(add);
  addTlsOptions(add, "this endpoint");
  add
    .addHelpText(
      "after",
      `
Secrets are stored in the log (mode 0600) and shown masked everywhere except right here with
--generate-secret and after rotate-secret. Policy flags set this endpoint's retry schedule.

Examples:
  hookctl endpoint add orders --url http://localhost:3000/webhooks --generate-secret
  hookctl endpoint add billing --url https://billing.test/hooks --scheme standard --secret-file billing.key
  HOOKCTL_SECRET=s3cret hookctl endpoint add local --url http://127.0.0.1:8080/ --rate 5/s --retries 3`,
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
    .command("rm")
    .description("remove an endpoint and its secrets (finished deliveries keep their history)")
    .argument("<name>", "endpoint name")
    .option("--force", "remove even with deliveries still waiting (they become dead letters)")
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
