import { UsageError } from "../errors.js";
import type { CliContext } from "./context.js";
import { maxSecretFileBytes, readFileArg } from "./payload.js";

export interface SecretFlags {
  secret?: string[];
  secretFile?: string;
}

/**
 * Secrets in priority order: --secret flags, then --secret-file (one per line), then
 * HOOKCTL_SECRET (space-separated). Env and file keep secrets off argv and out of `ps`.
 */
export async function collectSecrets(flags: SecretFlags, ctx: CliContext): Promise<string[]> {
  const secrets: string[] = [...(flags.secret ?? [])];
  if (flags.secretFile) {
    const lines = await readListFile(flags.secretFile, ctx, "secret file");
    if (lines.length === 0)
      throw new UsageError(`secret file ${flags.secretFile} holds no secret`, "put one secret per line");
    secrets.push(...lines);
  }
  if (secrets.length === 0 && ctx.env.HOOKCTL_SECRET) {
    secrets.push(...ctx.env.HOOKCTL_SECRET.split(/\s+/).filter(Boolean));
  }
  return secrets;
}

/** A file of one item per line (secrets, tokens): trimmed, blank lines and `#` comments skipped. */
export async function readListFile(path: string, ctx: CliContext, what: string): Promise<string[]> {
  return (await readFileArg(path, ctx, what, maxSecretFileBytes))
    .toString("utf8")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}
