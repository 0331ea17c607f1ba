import { type Command, Option } from "commander";
import { defaultIdempotencyTtlMs } from "../../serve/app.js";
import { addAlertOptions } from "../alert-flags.js";
import { durationArg, durationOption, integerArg } from "../parsers.js";
import type { CommandHost } from "../program.js";
import { sizeArg } from "./listen.js";

export function registerServe(program: Command, host: CommandHost): void {
  const command = program
    .command("serve")
    .description("run the outbox: an HTTP API that accepts events (202 once committed) and delivers them")
    .option("-p, --port <port>", "port to listen on (0 picks a free one)", integerArg(0, 65535), 4100)
    .option("--host <host>", "address to bind (beyond loopback a token is required)", "127.0.0.1")
    .option("--ready-file <path>", "write the URL to this file once listening (for scripts)")
    .option(
      "--token-file <path>",
      "bearer tokens clients must send, one per line (env HOOKCTL_SERVE_TOKEN: space-separated)",
    )
    .addOption(
      new Option("--max-body <size>", "largest request body accepted, else 413")
        .argParser(sizeArg)
        .default(1024 * 1024, "1mb"),
    )
    .option("--concurrency <n>", "delivery attempts running at once", integerArg(1, 1000), 8)
    .option(
      "--lease-margin <duration>",
      "how long past a delivery's timeout its lease outlives a crashed serve (default 5s)",
      durationArg,
    )
    .addOption(
      new Option("--durability <level>", "how a commit reaches the disk before 202 (see below)")
        .choices(["full", "normal"])
        .default("full"),
    )
    .addOption(
      durationOption(
        "--idempotency-ttl <duration>",
        "how long an idempotency key is honoured and kept",
        defaultIdempotencyTtlMs,
      ),
    );
  addAlertOptions(command)
    .addHelpText(
      "after",
      `
POST /v1/events takes {"type": "order.created", "payload": <any JSON>, "id"?: "<key>"} and answers
202 {"id": "evt_…", "type", "idempotencyKey", "duplicate", "deliveries": [{"id", "endpoint"}]}
only once the event and one delivery per subscribed endpoint (endpoint add --events; none: every
type) are committed to the log. The payload is stored byte for byte as sent. POST
/v1/events:batch takes {"events": [...]} (at most 1000), all committed or none. Reads:
GET /v1/events/{id}, /v1/deliveries[/{id}], POST /v1/deliveries/{id}/retry; /healthz, /readyz
(no token needed) and /metrics. Errors are application/problem+json.

Idempotency: the Idempotency-Key header or the "id" field (if both, they must be equal) is kept
for --idempotency-ttl; a repeat with the same bytes gets the first answer with "duplicate": true,
with other bytes 422, and while the first is still being handled 409 with Retry-After.

Durability: full (default) fsyncs each commit, so an accepted event survives a power loss;
normal survives a crash of hookctl, but the last commits may be lost on a power loss (faster).
On a PostgreSQL log (--db postgres://…) the server's synchronous_commit decides instead.

Several serve processes may share one PostgreSQL log: each accepts events and delivers, leases
keep any delivery from being sent by two at once, an idempotency key names one event whichever
process gets it (a twin in another process gets the first answer once it commits), and a
commit in one wakes the others' engines (LISTEN/NOTIFY).

Auth: with --token-file or HOOKCTL_SERVE_TOKEN, clients send Authorization: Bearer <token>.
Binding anything but loopback (127.0.0.1, ::1, localhost) without a token is refused.
The delivery engine runs in the same process: one line per attempt on stdout (--json: one
replay-event object per line). SIGTERM stops gracefully with exit 0 (Ctrl-C: 130): no new
requests, those in progress committed, attempts in flight finished or released.

Dead-letter alerts (--on-dead, --alert-url) work as in replay: each delivery that becomes dead
is alerted at least once with a stable alert id; a failing alert is retried and never holds up
deliveries; what is unsent at stop stays in the log for the next serve or replay with that sink.

Examples:
  hookctl serve
  hookctl serve --port 0 --ready-file /tmp/serve-url --json
  HOOKCTL_SERVE_TOKEN=s3cret hookctl serve --host 0.0.0.0 --durability normal
  hookctl serve --on-dead 'jq -r .delivery.id >> dead.txt' --alert-url https://ops.example/hooks
  curl -X POST localhost:4100/v1/events -H 'Idempotency-Key: order-42' \\
    -d '{"type": "order.created", "payload": {"id": 42}}'
  curl -X POST localhost:4100/v1/events:batch -H 'Authorization: Bearer s3cret' \\
    -d '{"events": [{"type": "a.b", "payload": 1, "id": "k1"}, {"type": "a.c", "payload": null}]}'`,
    )
    .action(async (_options: Record<string, unknown>, command: Command) => {
      const { runServe } = await import("../actions/serve.js");
      host.setExitCode(await runServe(command, host.ctx));
    });
}
