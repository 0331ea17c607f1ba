import type { VerifyBatchResultJson, VerifyResultJson } from "../../contract/schema/verify.js";
import { type SchemeName, type VerifyResult, verify } from "../../signing/index.js";
import { couldNotCheckResult, isoTime, resultJson } from "./verify.js";

export interface BatchSettings {
  scheme: SchemeName | "auto";
  secrets: readonly string[];
  toleranceSeconds: number;
  nowSeconds: number;
}

/** What one input line asks to check. */
export interface LineInput {
  id: string | undefined;
  headers: Record<string, string>;
  /** A JSON string stands for its UTF-8 bytes: the core hashes it as it is, without a copy. */
  body: string | Buffer;
}

/** The schema's verdict on a line that is not the usual shape: its input, or the fault. */
export type StrictCheck = (value: unknown) => LineInput | string;

/** A batch run: its settings, the schema once loaded, and whether every line so far was valid. */
export interface BatchRun {
  settings: BatchSettings;
  strict: StrictCheck | undefined;
  allValid: boolean;
}

/**
 * One line's result as its NDJSON text (`verifyBatchResult`); a line that is not valid clears
 * `run.allValid`. Undefined when the line needs the schema and it is not loaded yet: zod is
 * loaded on the first such line only, so a batch of usual lines never pays for it.
 */
export function checkLine(text: string, line: number, run: BatchRun): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    run.allValid = false;
    return couldNotCheckLine(line, undefined, "line is not valid JSON");
  }
  const input = usualLine(value) ?? run.strict?.(value);
  if (input === undefined) return undefined;
  if (typeof input === "string") {
    run.allValid = false;
    return couldNotCheckLine(line, idOf(value), input);
  }
  const { settings } = run;
  const result = verify({
    scheme: settings.scheme,
    headers: input.headers,
    body: input.body,
    secrets: settings.secrets,
    toleranceSeconds: settings.toleranceSeconds,
    nowSeconds: settings.nowSeconds,
  });
  if (result.outcome !== "valid") run.allValid = false;
  return lineJson(line, input.id, result);
}

/**
 * The usual line, `{"headers": {name: string, …}, "body": string, "id"?: string}`, taken as it
 * is: in a fresh process, building zod's checked copy of each line costs more than its HMAC.
 * Whatever this accepts verifyBatchLine accepts with the same data (a property test holds them
 * together); anything else (a header list, numbers, bodyBase64, every fault) goes through zod
 * (verify-batch-strict.ts).
 */
export function usualLine(value: unknown): LineInput | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { id, headers, body, bodyBase64 } = value as Record<string, unknown>;
  if (typeof body !== "string" || (bodyBase64 !== undefined && bodyBase64 !== null)) return undefined;
  if (id !== undefined && id !== null && typeof id !== "string") return undefined;
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) return undefined;
  for (const name in headers) {
    const value = (headers as Record<string, unknown>)[name];
    // zod's record leaves a "__proto__" key out of its copy: such a line is zod's to read.
    if (typeof value !== "string" || name === "__proto__" || !Object.hasOwn(headers, name)) return undefined;
  }
  return { id: id ?? undefined, headers: headers as Record<string, string>, body };
}

/** The line's `id`, when it has a usable one, so even an error result can be matched up. */
function idOf(value: unknown): string | undefined {
  const id = typeof value === "object" && value !== null ? (value as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : undefined;
}

function couldNotCheckLine(line: number, id: string | undefined, reason: string): string {
  return JSON.stringify(numbered(line, id, couldNotCheckResult(reason, "bad-input", null)));
}

/** `line` (and `id`) first, as a reader scanning the output expects. */
export function numbered(line: number, id: string | undefined, r: VerifyResultJson): VerifyBatchResultJson {
  return id === undefined ? { line, ...r } : { line, id, ...r };
}

/**
 * `JSON.stringify(numbered(line, id, resultJson(result)))`, written out directly for the checks
 * that ran: ten thousand lines spend less on building and walking objects. A test holds the two
 * equal. Scheme names, outcomes and ISO times need no escaping; texts from the input do.
 */
export function lineJson(line: number, id: string | undefined, result: VerifyResult): string {
  if (result.outcome === "unverifiable") return JSON.stringify(numbered(line, id, resultJson(result)));
  const head = id === undefined ? `{"line":${line}` : `{"line":${line},"id":${JSON.stringify(id)}`;
  const valid = result.outcome === "valid";
  const iso = isoTime(result.timestamp);
  return (
    `${head},"valid":${valid},"outcome":"${result.outcome}","scheme":"${result.scheme}",` +
    `"reason":${valid ? "null" : JSON.stringify(result.reason)},"code":null,` +
    `"secretIndex":${valid ? result.secretIndex : "null"},"timestamp":${iso === null ? "null" : `"${iso}"`},` +
    `"timestampValue":${result.timestampValue === null ? "null" : JSON.stringify(result.timestampValue)},` +
    `"ageSeconds":${result.ageSeconds === null ? "null" : result.ageSeconds}}`
  );
}
