import { type Command, Option } from "commander";
import { relayDefaults } from "../../relay/caps.js";
import { durationAtLeast, durationOption, integerArg, rateArg } from "../parsers.js";
import type { CommandHost } from "../program.js";
import { sizeArg } from "./listen.js";

const defaultKeepMs = 7 * 24 * 60 * 60 * 1000;

/** The caps a channel may set for itself; without them it takes the relay's. */
function addCapOptions(command: Command, what: string): Command {
  return command
    .option("--max-body <size>", `largest body ${what} accepts, else 413 (e.g. 1mb)`, sizeArg)
    .option("--rate <rate>", `requests per second ${what} accepts (bursts of 2 s), else 429`, rateArg)
    .option("--max-stored <size>", `bytes ${what} keeps at most (bodies and headers), else 507`, sizeArg);
}

export function registerRelay(program: Command, host: CommandHost): void {
  const relay = program
    .command("relay")
    .description(
      "run the public relay: store providers' webhooks before answering 2xx, stream them to listen --from",
    )
    .option("-p, --port <port>", "port to listen on (0 picks a free one)", integerArg(0, 65535), 4200)
    .option(
      "--host <host>",
      "address to bind (beyond loopback: --cert/--key, or --insecure-http)",
      "127.0.0.1",
    )
    .option("--ready-file <path>", "write the URL to this file once listening (for scripts)")
    .option("--cert <file>", "TLS certificate chain (PEM): serve HTTPS")
    .option("--key <file>", "TLS private key (PEM) for --cert")
    .option("--insecure-http", "allow plain HTTP on a public address (a TLS proxy in front)")
    .addOption(
      durationOption(
        "--keep <duration>",
        "delete stored requests older than this, acknowledged or not (at least 1m)",
        defaultKeepMs,
        durationAtLeast(60_000),
      ),
    )
    .addOption(
      new Option("--max-body <size>", "default largest body a channel accepts, else 413")
        .argParser(sizeArg)
        .default(relayDefaults.maxBodyBytes, "1mb"),
    )
    .addOption(
      new Option("--rate <rate>", "default requests per second per channel (bursts of 2 s), else 429")
        .argParser(rateArg)
        .default(relayDefaults.ratePerSecond, "20/s"),
    )
    .addOption(
      new Option("--max-stored <size>", "default bytes a channel keeps at most, else 507")
        .argParser(sizeArg)
        .default(relayDefaults.maxStoredBytes, "512mb"),
    )
    .addHelpText(
      "after",
      `
Providers send webhooks to <url>/c/<channel>[/any/path][?query] (POST, PUT, PATCH, DELETE, and
GET/HEAD verification pings). Each request is committed to the log (fsynced) with its method,
path, query, headers in order with repeats, body bytes and sha256, numbered per channel, and
only then answered 200 {"seq": n}. Refusals say why in one line: 404 unknown channel, 413 body
too large, 429 over the rate (Retry-After), 507 channel full. Nothing is dropped silently.

Listeners (hookctl listen --from <url>/c/<channel>) read GET /_relay/v1/channels/<name>/stream
?after=<seq>|acked (server-sent events) with the channel's token and acknowledge with POST
/_relay/v1/channels/<name>/ack {"seq": n}; a wrong token and an unknown channel are both 401.

Binding anything but loopback needs --cert/--key (HTTPS), or --insecure-http when a TLS proxy
terminates in front. SIGTERM stops gracefully with exit 0 (Ctrl-C: 130): open streams end,
requests in progress are committed and answered.

Examples:
  hookctl relay channel add github
  hookctl relay --host 0.0.0.0 --port 443 --cert fullchain.pem --key privkey.pem --keep 3d
  hookctl relay --host 0.0.0.0 --insecure-http --rate 50/s --max-stored 2048mb
  curl -N -H "Authorization: Bearer $TOKEN" localhost:4200/_relay/v1/channels/github/stream?after=0`,
    )
    .action(async (_options: Record<string, unknown>, command: Command) => {
      const { runRelay } = await import("../actions/relay.js");
      host.setExitCode(await runRelay(command, host.ctx));
    });

  const channel = relay
    .command("channel")
    .description("manage the relay's channels and their tokens")
    .addHelpText(
      "after",
      "\nExamples:\n  hookctl relay channel add github --rate 5/s\n  hookctl relay channel list\n  hookctl relay channel rotate-token github\n  hookctl relay channel rm github --yes",
    );

  addCapOptions(
    channel
      .command("add")
      .description("add a channel and print its token (once: only a hash is kept)")
      .argument("<name>", "a-z, 0-9, - and _ (up to 63), starting with a letter or digit"),
    "this channel",
  )
    .addHelpText(
      "after",
      "\nWithout caps of its own a channel takes the relay's (--max-body, --rate, --max-stored).\n\nExamples:\n  hookctl relay channel add github\n  hookctl relay channel add stripe --max-body 256kb --rate 10/s --max-stored 64mb --json",
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const { runChannelAdd } = await import("../actions/relay-channel.js");
      host.setExitCode(await runChannelAdd(name, command, host.ctx));
    });

  channel
    .command("list")
    .description("channels: stored requests and bytes, last seq, last ack, caps")
    .addHelpText("after", "\nExamples:\n  hookctl relay channel list\n  hookctl relay channel list --json")
    .action(async (_options: unknown, command: Command) => {
      const { runChannelList } = await import("../actions/relay-channel.js");
      host.setExitCode(await runChannelList(command, host.ctx));
    });

  channel
    .command("rm")
    .description("remove a channel and every request stored for it")
    .argument("<name>", "channel name")
    .option("-y, --yes", "do not ask (needed when not on a terminal)")
    .addHelpText(
      "after",
      "\nExamples:\n  hookctl relay channel rm github\n  hookctl relay channel rm github --yes",
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const { runChannelRm } = await import("../actions/relay-channel.js");
      host.setExitCode(await runChannelRm(name, command, host.ctx));
    });

  channel
    .command("rotate-token")
    .description("give a channel a new token (printed once); the old one stops working at once")
    .argument("<name>", "channel name")
    .addHelpText("after", "\nExamples:\n  hookctl relay channel rotate-token github --json")
    .action(async (name: string, _options: unknown, command: Command) => {
      const { runChannelRotate } = await import("../actions/relay-channel.js");
      host.setExitCode(await runChannelRotate(name, command, host.ctx));
    });
}
