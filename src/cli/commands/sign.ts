import { type Command, Option } from "commander";
import { schemeNames } from "../../signing/index.js";
import { collect, integerArg } from "../parsers.js";
import type { CommandHost } from "../program.js";

export function registerSign(program: Command, host: CommandHost): void {
  program
    .command("sign")
    .description("print the signature headers for a payload (the bytes are signed exactly as given)")
    .argument("[file]", "payload file, or - for stdin (piped stdin is read when no file is given)")
    .option("-d, --data <string>", "the payload inline instead of a file")
    .addOption(
      new Option("--scheme <name>", "signature scheme")
        .choices([...schemeNames, "standard-webhooks"])
        .default("hookctl"),
    )
    .option("--id <id>", "message / delivery id (default: a fresh time-sortable dlv_ id)")
    // The largest time a Date (and so verify) can hold: 8.64e12 seconds after 1970.
    .option(
      "--timestamp <seconds>",
      "unix seconds to sign at (default: now)",
      integerArg(0, 8_640_000_000_000),
    )
    .addOption(
      new Option("--format <format>", "header lines, a JSON object, or the signature value alone")
        .choices(["header", "json", "value"])
        .default("header"),
    )
    .option("--secret <secret>", "signing secret (repeatable: rotation; env HOOKCTL_SECRET)", collect)
    .option("--secret-file <path>", "file with one secret per line")
    .addHelpText(
      "after",
      `
Secrets are read as each provider does: standard and svix take whsec_<base64> (a whsk_ key signs
ed25519 v1a), stripe keys with the whole whsec_ string, the rest with the secret's UTF-8 bytes.
With several secrets, standard, svix and stripe carry one signature per secret.

Examples:
  hookctl sign --data '{"ok":true}' --secret s3cret
  hookctl sign event.json --scheme standard --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw --format json
  cat event.json | HOOKCTL_SECRET=s3cret hookctl sign --scheme github --format value
  hookctl sign event.json --scheme stripe --secret whsec_… --timestamp 1700000000 --id evt_1`,
    )
    .action(async (file: string | undefined, options: Record<string, unknown>, command: Command) => {
      const { runSign } = await import("../actions/sign.js");
      host.setExitCode(await runSign(file, options, command, host.ctx));
    });
}
