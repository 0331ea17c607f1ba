import type { Command } from "commander";
import { ExitCode, UsageError } from "../../errors.js";
import { generateEd25519KeyPair, generateSecret } from "../../signing/index.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";

interface SecretFlags extends GlobalOptions {
  bytes: number;
  prefix: string;
  ed25519?: boolean;
  format: "text" | "json";
}

/** `hookctl secret generate`: the one command that prints a secret in full (that is its job). */
export async function runSecretGenerate(
  _options: unknown,
  command: Command,
  ctx: CliContext,
): Promise<number> {
  const flags = command.optsWithGlobals<SecretFlags>();
  const out = createOutput(ctx, flags);
  const json = flags.json === true || flags.format === "json";
  if (flags.ed25519) {
    const changed = (name: string) => command.getOptionValueSource(name) === "cli";
    if (changed("bytes") || changed("prefix")) {
      throw new UsageError("--ed25519 keys have a fixed size and prefixes", "drop --bytes and --prefix");
    }
    const pair = generateEd25519KeyPair(ctx.randomBytes);
    if (json) out.writeJson(pair);
    else {
      out.line(`secret key (signs):   ${pair.secretKey}`);
      out.line(`public key (verifies): ${pair.publicKey}`);
    }
    return ExitCode.ok;
  }
  const secret = generateSecret(ctx.randomBytes, { bytes: flags.bytes, prefix: flags.prefix });
  if (flags.bytes < 16) out.note(`warning: ${flags.bytes} random bytes is weak; 24 or more is usual`);
  if (json) out.writeJson({ secret, bytes: flags.bytes });
  else out.line(secret);
  return ExitCode.ok;
}
