import { type Command, Option } from "commander";
import { schemeNames } from "../../signing/index.js";
import { collect, defaultToleranceMs, durationOption, integerArg } from "../parsers.js";
import type { CommandHost } from "../program.js";

export function registerVerify(program: Command, host: CommandHost): void {
  program
    .command("verify")
    .description("check a payload against its signature headers (exit 0 valid, 1 invalid, 2 could not check)")
    .argument("[file]", "payload file, or - for stdin (piped stdin is read when no file is given)")
    .option("-d, --data <string>", "the payload inline instead of a file")
    .option("-H, --header <header>", 'a received header, "Name: value" (repeatable)', collect)
    .option(
      "--headers-file <path>",
      "received headers: a raw header block, JSON headers, or a request from log received show --json",
    )
    .option("--signature <value>", "the signature header's value alone")
    .option("--received <id>", "re-check a request hookctl listen captured (id or its last 6+ characters)")
    .addOption(
      new Option("--scheme <name>", "signature scheme; auto picks it from the headers present")
        .choices(["auto", ...schemeNames, "standard-webhooks"])
        .default("auto"),
    )
    .addOption(
      durationOption(
        "--tolerance <duration>",
        "allowed timestamp skew either way (0 disables)",
        defaultToleranceMs,
      ),
    )
    .option("--now <seconds>", "judge timestamps at this unix time (default: now)", integerArg(0))
    .option("--secret <secret>", "secret to try (repeatable: any may match; env HOOKCTL_SECRET)", collect)
    .option("--secret-file <path>", "file with one secret per line")
    .option("--batch", 'NDJSON on stdin, one {"headers":{...},"body":"..."} (or "bodyBase64") per line')
    .addHelpText(
      "after",
      `
Output: "valid: standard signature, secret #2, timestamp 12s old" or "invalid: <reason>";
--quiet prints nothing. --json prints one object in every case, exit 2 included:
  {"valid","outcome":"valid|invalid|unverifiable","scheme","reason","code","secretIndex",
   "timestamp" (ISO 8601),"timestampValue" (the header's value as sent),"ageSeconds"}
secretIndex counts from 0 (secret #1 is 0); code says why nothing could be checked.

A request missing or garbling a header its scheme signs is not authentic (exit 1), as the
provider's own libraries judge it; only --scheme auto facing no signature header at all has
nothing to check (exit 2). --scheme svix also reads the webhook-* names Svix sends.

--headers-file takes "Name: value" lines (a pasted request), a JSON list [{"name","value"}], a
JSON object of names to values, or the object hookctl log received show --json prints, whose
body is used when no payload is given.
--received <id> reads the headers and body from the log and judges the timestamp at the time the
request arrived (unless --now is given).
--batch prints one JSON result per input line ({"line", "id"?, ...the fields above}), in order,
and exits 1 if any line is not valid.

Examples:
  hookctl verify --data '{"ok":true}' --secret s3cret \\
    -H "X-Signature: 543e03a3257ce4cdd34b991bf239f266e18a52dd97f26603483a2f265fc2cfe2"
  hookctl verify body.json --secret-file secrets.txt --headers-file request-headers.txt
  hookctl log received show rcv_01JD3… --json > request.json
  hookctl verify --headers-file request.json --secret-file secrets.txt
  hookctl verify --received 7KQ2ZD --secret-file secrets.txt --json
  hookctl verify body.json --scheme stripe --now 1732869000 --json --secret whsec_test \\
    --signature "t=1732869000,v1=0370625be8a259d470e1830615be8936097c3becceb9e65474a2735a10d0d4f8"
  hookctl verify --batch --scheme standard --secret-file secrets.txt < requests.ndjson`,
    )
    .action(async (file: string | undefined, options: Record<string, unknown>, command: Command) => {
      if (options.batch) {
        const { runVerifyBatch } = await import("../actions/verify-batch.js");
        host.setExitCode(await runVerifyBatch(file, options, command, host.ctx));
      } else {
        const { runVerify } = await import("../actions/verify.js");
        host.setExitCode(await runVerify(file, options, command, host.ctx));
      }
    });
}
