import type { Command } from "commander";
import { toHeaderList } from "../../contract/headers.js";
import { ExitCode, UsageError } from "../../errors.js";
import { parseSchemeName, SigningError, type SignResult, sign } from "../../signing/index.js";
import { newId } from "../../store/ids.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { readPayload } from "../payload.js";
import { collectSecrets } from "../secrets.js";
import { checkHeaderBound } from "../sendable.js";

interface SignFlags extends GlobalOptions {
  data?: string;
  scheme: string;
  id?: string;
  timestamp?: number;
  format: "header" | "json" | "value";
  secret?: string[];
  secretFile?: string;
}

const noSecretHint = "pass --secret, --secret-file or set HOOKCTL_SECRET";

/** `hookctl sign`: print the headers that sign the payload; exit 0, or 2 for bad input. */
export async function runSign(
  file: string | undefined,
  _options: unknown,
  command: Command,
  ctx: CliContext,
): Promise<number> {
  const flags = command.optsWithGlobals<SignFlags>();
  const out = createOutput(ctx, flags);
  const scheme = parseSchemeName(flags.scheme);
  if (!scheme)
    throw new UsageError(`unknown scheme ${JSON.stringify(flags.scheme)}`, "see hookctl sign --help");
  const secrets = await collectSecrets(flags, ctx);
  if (secrets.length === 0) throw new UsageError("no secret to sign with", noSecretHint);
  const body = await readPayload({ file, data: flags.data }, ctx);
  // The same dlv_ ids `send` uses for X-Webhook-Delivery-ID and webhook-id, so a signed
  // payload looks like one hookctl would deliver.
  const id = flags.id ?? newId("dlv", ctx.now(), ctx.randomBytes);
  if (id === "")
    throw new UsageError("--id is empty", "give a message id, or leave --id out for a fresh one");
  checkHeaderBound("--id", id);
  const timestamp = flags.timestamp ?? Math.floor(ctx.now() / 1000);
  let result: SignResult;
  try {
    result = sign({ scheme, body, secrets, id, timestamp });
  } catch (error) {
    if (error instanceof SigningError)
      throw new UsageError(error.message, "check the secret for this scheme");
    throw error;
  }
  const format = flags.json ? "json" : flags.format;
  if (format === "json") out.writeJson({ scheme: result.scheme, headers: toHeaderList(result.headers) });
  else if (format === "value") out.line(result.headers[result.signatureHeader] as string);
  else for (const [name, value] of Object.entries(result.headers)) out.line(`${name}: ${value}`);
  return ExitCode.ok;
}
