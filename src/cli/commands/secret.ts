import { type Command, Option } from "commander";
import { integerArg } from "../parsers.js";
import type { CommandHost } from "../program.js";

export function registerSecret(program: Command, host: CommandHost): void {
  const secret = program
    .command("secret")
    .description("generate signing secrets")
    .addHelpText(
      "after",
      `
Examples:
  hookctl secret generate
  hookctl secret generate --ed25519`,
    );
  secret
    .command("generate")
    .description("print a new random secret (whsec_ + base64 of 32 random bytes by default)")
    .option("--bytes <n>", "random bytes before encoding", integerArg(1, 1024), 32)
    .option("--prefix <prefix>", "text before the base64 (use '' for none)", "whsec_")
    .option("--ed25519", "an ed25519 key pair for Standard Webhooks v1a (whsk_ signs, whpk_ verifies)")
    .addOption(
      new Option("--format <format>", "plain text or JSON").choices(["text", "json"]).default("text"),
    )
    .addHelpText(
      "after",
      `
The secret is printed in full: this is the one place hookctl shows one.

Examples:
  hookctl secret generate
  hookctl secret generate --bytes 24 --format json
  hookctl secret generate --ed25519 --json
  export HOOKCTL_SECRET=$(hookctl secret generate)`,
    )
    .action(async (options: Record<string, unknown>, command: Command) => {
      const { runSecretGenerate } = await import("../actions/secret.js");
      host.setExitCode(await runSecretGenerate(options, command, host.ctx));
    });
}
