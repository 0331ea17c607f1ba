import { X509Certificate } from "node:crypto";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { TlsSetting } from "../store/types.js";
import type { CliContext } from "./context.js";
import { maxSecretFileBytes, readFileArg } from "./payload.js";

export interface TlsFlags {
  insecure?: boolean;
  ca?: string;
}

/** `--insecure` and `--ca <file>` on a command that sends (send, replay, endpoint add). */
export function addTlsOptions(command: Command, what: string): Command {
  return command
    .option("--insecure", `do not verify the HTTPS certificate of ${what} (stored with it)`)
    .option("--ca <file>", `trust the CA certificates in this PEM file for ${what} (the PEM is stored)`);
}

const pemBlock = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * The TLS setting the flags ask for, or undefined when they ask for none. `--ca` keeps the
 * certificates' PEM text only (never a private key that shares the file), so deliveries replay
 * the same way after the file moves. `url`: the target when known, which must be https.
 */
export async function tlsFromFlags(
  flags: TlsFlags,
  ctx: CliContext,
  url: string | undefined,
  warn: (line: string) => void,
): Promise<TlsSetting | undefined> {
  if (!flags.insecure && flags.ca === undefined) return undefined;
  if (flags.insecure && flags.ca !== undefined) {
    throw new UsageError("give --insecure or --ca, not both", "--ca verifies against your CA; prefer it");
  }
  const flag = flags.insecure ? "--insecure" : "--ca";
  if (url !== undefined && !url.startsWith("https:")) {
    throw new UsageError(`${flag} applies to https:// targets only`, "drop it, or give an https:// URL");
  }
  if (flags.ca === undefined) {
    warn(`warning: --insecure: the certificate of ${url ? new URL(url).host : "the target"} is not verified`);
    return { insecure: true, ca: null };
  }
  const text = (await readFileArg(flags.ca, ctx, "CA file", maxSecretFileBytes)).toString("utf8");
  const blocks = text.match(pemBlock) ?? [];
  if (blocks.length === 0) {
    throw new UsageError(
      `${flags.ca} holds no PEM certificate`,
      "give the CA (or self-signed) certificate in PEM form: -----BEGIN CERTIFICATE-----",
    );
  }
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      throw new UsageError(`${flags.ca}: certificate ${index + 1} is not valid PEM`, "check the file");
    }
  }
  return { insecure: false, ca: `${blocks.join("\n")}\n` };
}

/**
 * The line that says why an HTTPS delivery failed verification and what to do, or undefined
 * when no attempt failed that way. `message`: the attempt's error (it names the reason).
 */
export function tlsFailureHint(
  failure: { url: string; errorMessage: string | null } | undefined,
): string | undefined {
  if (!failure) return undefined;
  const reason = failure.errorMessage?.split(": ").at(-1) ?? "certificate not trusted";
  return `hint: ${new URL(failure.url).host}: ${reason} — pass --ca <file> with its CA certificate (stored with the delivery), or --insecure to skip the check`;
}
