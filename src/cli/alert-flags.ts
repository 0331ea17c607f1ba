import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { SigningError, sign } from "../signing/index.js";
import type { CliContext } from "./context.js";
import { collect } from "./parsers.js";
import { collectSecrets } from "./secrets.js";
import { parseHttpUrl } from "./urls.js";

export interface AlertFlagValues {
  onDead?: string;
  alertUrl?: string;
  alertSecret?: string[];
  alertSecretFile?: string;
}

/** The alert sinks a run asked for, checked (exit 2 before anything runs). */
export interface AlertSpec {
  command?: string;
  url?: string;
  /** For `url`; empty: the alert webhook goes unsigned. */
  secrets: string[];
}

/** `--on-dead`, `--alert-url` and the alert webhook's secret: replay and serve. */
export function addAlertOptions(command: Command): Command {
  return command
    .option(
      "--on-dead <command>",
      "run this shell command for each delivery that becomes dead (the alert as JSON on stdin)",
    )
    .option("--alert-url <url>", "post a signed alert webhook for each delivery that becomes dead")
    .option(
      "--alert-secret <secret>",
      "sign alert webhooks with this secret (repeatable; env HOOKCTL_ALERT_SECRET)",
      collect,
    )
    .option("--alert-secret-file <path>", "read the alert webhook's secrets from a file, one per line");
}

/** The flags as a spec: undefined when no alert was asked for. */
export async function alertSpecFromFlags(
  flags: AlertFlagValues,
  ctx: CliContext,
): Promise<AlertSpec | undefined> {
  const secretGiven = flags.alertSecret !== undefined || flags.alertSecretFile !== undefined;
  if (flags.alertUrl === undefined && secretGiven) {
    throw new UsageError(
      "--alert-secret and --alert-secret-file sign --alert-url webhooks",
      "add --alert-url <url>",
    );
  }
  if (flags.onDead !== undefined && flags.onDead.trim() === "") {
    throw new UsageError("--on-dead needs a command", "e.g. --on-dead 'cat >> dead-letters.jsonl'");
  }
  if (flags.onDead === undefined && flags.alertUrl === undefined) return undefined;
  const url = flags.alertUrl === undefined ? undefined : parseHttpUrl(flags.alertUrl, "--alert-url");
  const secrets =
    url === undefined
      ? []
      : await collectSecrets(
          { secret: flags.alertSecret, secretFile: flags.alertSecretFile },
          // HOOKCTL_ALERT_SECRET, not HOOKCTL_SECRET: the deliveries' secret is not the alerts'.
          { ...ctx, env: { HOOKCTL_SECRET: ctx.env.HOOKCTL_ALERT_SECRET } },
        );
  if (secrets.length > 0) requireSigningSecrets(secrets);
  return { command: flags.onDead, url, secrets };
}

/** A secret the hookctl scheme cannot sign with (an ed25519 key) is refused now, not per alert. */
function requireSigningSecrets(secrets: readonly string[]): void {
  try {
    sign({ scheme: "hookctl", body: new Uint8Array(), secrets, id: "alr_check", timestamp: 0 });
  } catch (error) {
    if (!(error instanceof SigningError)) throw error;
    throw new UsageError(`alert secret: ${error.message}`, "give a whsec_… or plain secret", error);
  }
}

/** Which flags name the sinks, for messages (`--on-dead/--alert-url`). */
export function alertFlagWords(spec: AlertSpec): string {
  return [spec.command !== undefined ? "--on-dead" : "", spec.url !== undefined ? "--alert-url" : ""]
    .filter(Boolean)
    .join("/");
}
