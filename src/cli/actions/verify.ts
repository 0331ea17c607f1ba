import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import {
  parseSchemeName,
  type SchemeName,
  schemeForSignatureValue,
  signatureHeaderOf,
  type UnverifiableCode,
  type VerifyResult,
  verify,
} from "../../signing/index.js";
import type { CliContext } from "../context.js";
import { headersFromFlags, parseHeaderBlock } from "../headers.js";
import { createOutput, type GlobalOptions, type Output } from "../output.js";
import { readFileArg, readPayload } from "../payload.js";
import { collectSecrets } from "../secrets.js";

const noSecretHint = "pass --secret, --secret-file or set HOOKCTL_SECRET";

export interface VerifyFlags extends GlobalOptions {
  data?: string;
  header?: string[];
  headersFile?: string;
  signature?: string;
  scheme: string;
  /** Milliseconds (durationArg). */
  tolerance: number;
  now?: number;
  secret?: string[];
  secretFile?: string;
  batch?: boolean;
}

/** `hookctl verify`: exit 0 valid, 1 not authentic, 2 could not check (thrown as a UsageError). */
export async function runVerify(
  file: string | undefined,
  _options: unknown,
  command: Command,
  ctx: CliContext,
): Promise<number> {
  const flags = command.optsWithGlobals<VerifyFlags>();
  const out = createOutput(ctx, flags);
  let scheme = verifyScheme(flags.scheme);
  const secrets = collectSecrets(flags, ctx);
  if (secrets.length === 0) throw new UsageError("no secret to verify with", noSecretHint);
  const headers = flags.headersFile
    ? parseHeaderBlock(
        readFileArg(flags.headersFile, ctx, "headers file").toString("utf8"),
        flags.headersFile,
      )
    : {};
  Object.assign(headers, headersFromFlags(flags.header));
  if (flags.signature !== undefined) {
    if (scheme === "auto") {
      const guessed = schemeForSignatureValue(flags.signature, headers);
      if (!guessed) throw new UsageError("cannot tell the scheme from --signature's value", "pass --scheme");
      scheme = guessed;
    }
    headers[signatureHeaderOf(scheme)] = flags.signature;
  }
  const body = await readPayload({ file, data: flags.data }, ctx);
  const result = verify({
    scheme,
    body,
    headers,
    secrets,
    toleranceSeconds: flags.tolerance / 1000,
    nowSeconds: flags.now ?? Math.floor(ctx.now() / 1000),
  });
  if (result.outcome === "unverifiable") throw new UsageError(result.reason, unverifiableHint(result.code));
  render(result, out);
  return result.outcome === "valid" ? 0 : 1;
}

/** `--scheme` after commander's choice check: auto, a scheme, or the standard-webhooks alias. */
export function verifyScheme(text: string): SchemeName | "auto" {
  if (text === "auto") return "auto";
  const scheme = parseSchemeName(text);
  if (!scheme) throw new UsageError(`unknown scheme ${JSON.stringify(text)}`, "see hookctl verify --help");
  return scheme;
}

export { noSecretHint };

export function unverifiableHint(code: UnverifiableCode | undefined): string | undefined {
  switch (code) {
    case "no-secret":
      return noSecretHint;
    case "no-signature":
      return 'pass the received headers with -H "Name: value", --headers-file or --signature';
    case "ambiguous":
      return "pass --scheme";
    case "missing-header":
      return 'add it with -H "Name: value" or --headers-file';
    case "bad-secret":
      return "check the secret for this scheme (see hookctl verify --help)";
    default:
      return undefined;
  }
}

/** The --json / --batch shape: one object per verification. */
export function resultJson(result: VerifyResult) {
  if (result.outcome === "valid") {
    const { scheme, secretIndex, timestamp, ageSeconds } = result;
    return { valid: true, scheme, reason: null, secretIndex, timestamp, ageSeconds };
  }
  if (result.outcome === "invalid") {
    const { scheme, reason, timestamp, ageSeconds } = result;
    return { valid: false, scheme, reason, secretIndex: null, timestamp, ageSeconds };
  }
  return {
    valid: false,
    scheme: result.scheme,
    reason: result.reason,
    secretIndex: null,
    timestamp: null,
    ageSeconds: null,
  };
}

/** `valid: standard signature, secret #2, timestamp 12s old` or `invalid: <reason>`. */
export function describe(result: VerifyResult, out: Pick<Output, "style">): string {
  if (result.outcome !== "valid") return `${out.style.fail("invalid")}: ${result.reason}`;
  const parts = [`${result.scheme} signature`, `secret #${result.secretIndex + 1}`];
  if (result.ageSeconds !== null) {
    parts.push(
      result.ageSeconds >= 0
        ? `timestamp ${result.ageSeconds}s old`
        : `timestamp ${-result.ageSeconds}s in the future`,
    );
  }
  return `${out.style.ok("valid")}: ${parts.join(", ")}`;
}

function render(result: VerifyResult, out: Output): void {
  if (out.json) out.writeJson(resultJson(result));
  else out.line(describe(result, out));
}
