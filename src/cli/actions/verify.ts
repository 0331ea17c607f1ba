import type { Command } from "commander";
import { type HeaderList, headerRecord } from "../../contract/headers.js";
import type { VerifyResultJson } from "../../contract/schema/verify.js";
import { ExitCode, HookctlError, UsageError } from "../../errors.js";
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
import { headerListFromFlags, overrideHeaders, parseHeadersFile } from "../headers.js";
import { createOutput, type GlobalOptions, type Output } from "../output.js";
import { readFileArg, readPayload } from "../payload.js";
import { collectSecrets } from "../secrets.js";

export const noSecretHint = "pass --secret, --secret-file or set HOOKCTL_SECRET";

export interface VerifyFlags extends GlobalOptions {
  data?: string;
  header?: string[];
  headersFile?: string;
  signature?: string;
  received?: string;
  scheme: string;
  /** Milliseconds (durationArg). */
  tolerance: number;
  now?: number;
  secret?: string[];
  secretFile?: string;
  batch?: boolean;
}

/**
 * Why a verify could not be carried out (exit 2), as --json's `code`: the signing core's words,
 * `bad-input` for input the CLI could not read, `internal` for a bug.
 */
export type CouldNotCheckCode = UnverifiableCode | "bad-input" | "internal";

/** A could-not-check that carries its code (and the scheme, when one was settled) for --json. */
class CouldNotCheck extends UsageError {
  constructor(
    readonly code: CouldNotCheckCode,
    message: string,
    hint?: string,
    readonly scheme: SchemeName | null = null,
  ) {
    super(message, hint);
  }
}

/** The request to check, wherever it came from. */
interface Request {
  scheme: SchemeName | "auto";
  headers: HeaderList;
  body: Buffer;
  /** The instant to judge timestamps at when --now is not given (a capture: when it arrived). */
  nowSeconds?: number;
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
  let result: VerifyResult;
  try {
    result = await check(file, flags, ctx);
  } catch (error) {
    // One result object in every case; the one-line error still goes to stderr (main.ts).
    if (out.json) out.writeJson(couldNotCheckJson(error, parseSchemeName(flags.scheme) ?? null));
    throw error;
  }
  if (out.json) out.writeJson(resultJson(result));
  else out.line(describe(result, out));
  return result.outcome === "valid" ? ExitCode.ok : ExitCode.failed;
}

async function check(file: string | undefined, flags: VerifyFlags, ctx: CliContext): Promise<VerifyResult> {
  const scheme = verifyScheme(flags.scheme);
  const secrets = await collectSecrets(flags, ctx);
  if (secrets.length === 0) throw new CouldNotCheck("no-secret", "no secret to verify with", noSecretHint);
  const request =
    flags.received !== undefined
      ? await fromLog(flags.received, file, flags, ctx, scheme)
      : await fromArguments(file, flags, ctx, scheme);
  const result = verify({
    scheme: request.scheme,
    body: request.body,
    headers: lookupRecord(request.headers),
    secrets,
    toleranceSeconds: flags.tolerance / 1000,
    nowSeconds: flags.now ?? request.nowSeconds ?? Math.floor(ctx.now() / 1000),
  });
  if (result.outcome === "unverifiable") {
    throw new CouldNotCheck(result.code, result.reason, unverifiableHint(result.code), result.scheme);
  }
  return result;
}

/** Headers from --headers-file, -H and --signature (later ones win), the payload from its flags. */
async function fromArguments(
  file: string | undefined,
  flags: VerifyFlags,
  ctx: CliContext,
  named: SchemeName | "auto",
): Promise<Request> {
  const fromFile = flags.headersFile
    ? await parseHeadersFile(
        (await readFileArg(flags.headersFile, ctx, "headers file")).toString("utf8"),
        flags.headersFile,
      )
    : undefined;
  let headers = overrideHeaders(fromFile?.headers ?? [], headerListFromFlags(flags.header));
  let scheme = named;
  if (flags.signature !== undefined) {
    if (scheme === "auto") {
      const guessed = schemeForSignatureValue(flags.signature, lookupRecord(headers));
      if (!guessed) {
        throw new CouldNotCheck(
          "ambiguous",
          "cannot tell the scheme from --signature's value",
          "pass --scheme",
        );
      }
      scheme = guessed;
    }
    headers = overrideHeaders(headers, [{ name: signatureHeaderOf(scheme), value: flags.signature }]);
  }
  // A captured request carries its body: used when no payload is given.
  const body =
    file === undefined && flags.data === undefined && fromFile?.body
      ? fromFile.body
      : await readPayload({ file, data: flags.data }, ctx);
  return { scheme, headers, body };
}

/** `--received <id>`: the captured request's own headers and body, judged when it arrived. */
async function fromLog(
  id: string,
  file: string | undefined,
  flags: VerifyFlags,
  ctx: CliContext,
  scheme: SchemeName | "auto",
): Promise<Request> {
  if (
    file !== undefined ||
    flags.data !== undefined ||
    flags.header ||
    flags.headersFile ||
    flags.signature
  ) {
    throw new CouldNotCheck(
      "bad-input",
      "--received takes the headers and body from the log",
      "drop the payload, --data, -H, --headers-file and --signature",
    );
  }
  const { loadReceived } = await import("./verify-received.js");
  const capture = await loadReceived(id, flags.db, ctx.env);
  return {
    scheme,
    headers: capture.headers,
    body: capture.body,
    nowSeconds: Math.floor(capture.receivedAt / 1000),
  };
}

/** One value per lower-cased name (repeats joined with ", "): what the signing core looks up. */
function lookupRecord(headers: HeaderList): Record<string, string> {
  return headerRecord(headers.map(({ name, value }) => ({ name: name.toLowerCase(), value })));
}

/** `--scheme` after commander's choice check: auto, a scheme, or the standard-webhooks alias. */
export function verifyScheme(text: string): SchemeName | "auto" {
  if (text === "auto") return "auto";
  const scheme = parseSchemeName(text);
  if (!scheme) {
    throw new CouldNotCheck(
      "unknown-scheme",
      `unknown scheme ${JSON.stringify(text)}`,
      "see hookctl verify --help",
    );
  }
  return scheme;
}

export function unverifiableHint(code: UnverifiableCode): string | undefined {
  switch (code) {
    case "no-secret":
      return noSecretHint;
    case "no-signature":
      return 'pass the received headers with -H "Name: value", --headers-file or --signature';
    case "ambiguous":
      return "pass --scheme";
    case "bad-secret":
      return "check the secret for this scheme (see hookctl verify --help)";
    case "unknown-scheme":
      return "see hookctl verify --help";
  }
}

let lastTime: { seconds: number; iso: string | null } = { seconds: Number.NaN, iso: null };

/** Unix seconds as ISO 8601 (null beyond what a Date holds); the last one is kept for --batch. */
export function isoTime(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds !== lastTime.seconds) {
    const ms = seconds * 1000;
    lastTime = { seconds, iso: Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null };
  }
  return lastTime.iso;
}

/** The --json / --batch shape of a check that ran (verifyResult). */
export function resultJson(result: VerifyResult): VerifyResultJson {
  if (result.outcome === "unverifiable") {
    return couldNotCheckResult(result.reason, result.code, result.scheme);
  }
  return {
    valid: result.outcome === "valid",
    outcome: result.outcome,
    scheme: result.scheme,
    reason: result.outcome === "invalid" ? result.reason : null,
    code: null,
    secretIndex: result.outcome === "valid" ? result.secretIndex : null,
    timestamp: isoTime(result.timestamp),
    timestampValue: result.timestampValue,
    ageSeconds: result.ageSeconds,
  };
}

export function couldNotCheckResult(
  reason: string,
  code: CouldNotCheckCode,
  scheme: string | null,
): VerifyResultJson {
  return {
    valid: false,
    outcome: "unverifiable",
    scheme,
    reason,
    code,
    secretIndex: null,
    timestamp: null,
    timestampValue: null,
    ageSeconds: null,
  };
}

function couldNotCheckJson(error: unknown, scheme: SchemeName | null): VerifyResultJson {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof CouldNotCheck) return couldNotCheckResult(reason, error.code, error.scheme ?? scheme);
  return couldNotCheckResult(reason, error instanceof HookctlError ? "bad-input" : "internal", scheme);
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
