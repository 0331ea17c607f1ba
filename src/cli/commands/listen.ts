import { type Command, InvalidArgumentError, Option } from "commander";
import { receiverDefaults } from "../../receiver/server.js";
import { collect, defaultToleranceMs, durationOption, integerArg, numberArg, timerArg } from "../parsers.js";
import type { CommandHost } from "../program.js";

/** "1mb", "512k", "2048" (bytes) into bytes. */
export function sizeArg(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(value);
  if (!match) throw new InvalidArgumentError("expected a size like 1mb, 512kb or 2048 (bytes)");
  const unit = (match[2] ?? "b").toLowerCase()[0] as "b" | "k" | "m";
  const bytes = Math.floor(Number(match[1]) * { b: 1, k: 1024, m: 1024 * 1024 }[unit]);
  if (bytes < 1) throw new InvalidArgumentError("expected at least 1 byte");
  return bytes;
}

export function registerListen(program: Command, host: CommandHost): void {
  program
    .command("listen")
    .description("run a local webhook receiver that verifies, dedupes, captures and can misbehave on purpose")
    .option("-p, --port <port>", "port to listen on (0 picks a free one)", integerArg(0, 65535), 4000)
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--path <path>", "accept webhooks on this path only, 404 elsewhere (default: any path)")
    .option("--ready-file <path>", "write the URL to this file once listening (for scripts)")
    .option(
      "--secret <secret>",
      "verify with this secret (repeatable: any may match; env HOOKCTL_SECRET)",
      collect,
    )
    .option("--secret-file <path>", "file with one secret per line")
    .option("--scheme <name>", "signature scheme, or auto to pick it from the headers", "auto")
    .addOption(
      durationOption(
        "--tolerance <duration>",
        "allowed timestamp skew either way (0 disables)",
        defaultToleranceMs,
      ),
    )
    .option("--fail-rate <0..1>", "fail this share of requests on purpose", numberArg(0, 1))
    .option("--seed <n>", "seed for --fail-rate, to repeat a run exactly", integerArg(0, 4294967295))
    .option("--fail-status <code>", "status of injected failures (default: 503)", integerArg(300, 599))
    .option(
      "--fail-first <n>",
      "fail the first N attempts of each delivery id, then succeed",
      integerArg(0, 1000),
    )
    .option("--delay <duration>", "wait this long before answering each new request", timerArg)
    .option("--retry-after <seconds>", "send Retry-After with injected failures", integerArg(0, 86_400))
    .option("--drop", "injected failures close the connection without any response")
    .option(
      "--forward-to <url>",
      "relay requests byte for byte to your app (a URL, or host:port[/path], :3000) and answer with its response",
    )
    .addOption(
      new Option("--max-body <size>", "largest body accepted, else 413")
        .argParser(sizeArg)
        .default(receiverDefaults.maxBodyBytes, "1mb"),
    )
    .addOption(
      durationOption(
        "--header-timeout <duration>",
        "time a client has to send its headers, else 408",
        receiverDefaults.headersTimeoutMs,
        timerArg,
      ),
    )
    .addOption(
      durationOption(
        "--request-timeout <duration>",
        "time a client has to send the whole request, else 408",
        receiverDefaults.requestTimeoutMs,
        timerArg,
      ),
    )
    .option("--max-concurrent <n>", "requests handled at once; more get 503", integerArg(1, 100_000), 256)
    .option(
      "--from <url>",
      "take requests from a hookctl relay channel (<relay-url>/c/<channel>) instead of a local port",
    )
    .option(
      "--relay-token-file <path>",
      "file holding the relay channel's token (env HOOKCTL_RELAY_TOKEN); never on the command line",
    )
    .option(
      "--from-start",
      "with --from: take the channel from its first stored request, not from where this log left it",
    )
    .option("--no-store", "do not capture requests into the log")
    .option("-v, --verbose", "show each request's headers and body")
    .addHelpText(
      "after",
      `
Each request prints one line: time, method, path, event type, delivery id, ✓ verified / ✗ reason /
unverified, size, status returned, and markers (duplicate, injected, app status). --json prints one
object per request (NDJSON). The ready line, notes and the Ctrl-C summary go to stderr.

Verification: with secrets, a request that is not authentic gets 401 and a one-line reason.
Dedupe: a repeat of a delivery id (X-Webhook-Delivery-ID, webhook-id, svix-id) that was already
answered 2xx is answered 200 again, marked duplicate and not counted again.
Injected failures only touch authentic requests that are not duplicates: --fail-first counts the
attempts of each delivery id (attempts 1..N fail, N+1 succeeds, later repeats are duplicates).
--fail-status or --drop alone fails every request. Captured requests: hookctl log received.
A 2xx means the request is committed to the log (kill -9 loses none of them); when it cannot be
committed (log locked, disk full) the answer is 503 with Retry-After, never 2xx. Stops on
SIGTERM with exit 0 (Ctrl-C: 130).

--from <relay-url>/c/<channel> connects out to a \`hookctl relay\` (no port opened unless --port is
given) and runs every request the relay stored through the same checks, capture and --forward-to,
in order, resuming after the last one captured here (the relay keeps what arrived while this was
off). Each is checked against its sha256 and acknowledged once captured. Signatures are judged at
the time the relay received the request. Injected failures are shown and recorded but the request
is still acknowledged: the relay already answered the provider. Connection state goes to stderr;
--ready-file is written once connected. A refused token or unknown channel exits 2.

Examples:
  hookctl listen --port 4000 --secret s3cret
  hookctl listen --port 0 --ready-file /tmp/url --fail-first 2 --retry-after 1
  hookctl listen --fail-rate 0.3 --seed 42 --fail-status 500 --json
  hookctl listen --scheme standard --secret-file secrets.txt --forward-to http://localhost:3000/webhooks
  hookctl listen --drop --delay 2s --no-store -v
  HOOKCTL_RELAY_TOKEN=… hookctl listen --from https://relay.example.com/c/laptop --secret-file s.txt --forward-to :3000`,
    )
    .action(async (_options: Record<string, unknown>, command: Command) => {
      const { runListen } = await import("../actions/listen.js");
      host.setExitCode(await runListen(command, host.ctx));
    });
}
