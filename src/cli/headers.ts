import type { HeaderList } from "../contract/headers.js";
import { UsageError } from "../errors.js";

/** `-H "Name: value"` into a [name, value] pair; the name keeps its case. */
export function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(":");
  const name = colon > 0 ? text.slice(0, colon).trim() : "";
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`bad header ${JSON.stringify(text)}`, 'write it as -H "Name: value"');
  }
  return [name, text.slice(colon + 1).trim()];
}

export function headersFromFlags(flags: readonly string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const flag of flags ?? []) {
    const [name, value] = parseHeaderFlag(flag);
    headers[name] = value;
  }
  return headers;
}

/** `-H` flags as an ordered list, repeats kept. */
export function headerListFromFlags(flags: readonly string[] | undefined): HeaderList {
  return (flags ?? []).map((flag) => {
    const [name, value] = parseHeaderFlag(flag);
    return { name, value };
  });
}

/**
 * `base` with every header named in `overrides` (any case) replaced by the overrides: what a
 * user passes on the command line wins over what a file holds.
 */
export function overrideHeaders(base: HeaderList, overrides: HeaderList): HeaderList {
  if (overrides.length === 0) return base;
  const replaced = new Set(overrides.map((header) => header.name.toLowerCase()));
  return [...base.filter((header) => !replaced.has(header.name.toLowerCase())), ...overrides];
}

/** What a headers file holds: its headers, and the body when it is a captured request. */
export interface HeadersFile {
  headers: HeaderList;
  body?: Buffer;
}

const jsonHint =
  'give a JSON header list [{"name","value"}], an object of names to values, or "Name: value" lines';

/**
 * A headers file: a raw header block, a JSON header list or object of names to values, or a
 * captured request as `hookctl log received show --json` prints it (its headers and body).
 */
export async function parseHeadersFile(text: string, source: string): Promise<HeadersFile> {
  const trimmed = text.trim();
  if (trimmed === "") throw new UsageError(`${source} is empty`, jsonHint);
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) return parseJsonHeaders(trimmed, source);
  return { headers: parseHeaderBlock(trimmed, source) };
}

/**
 * A header block as pasted from a request dump: `Name: value` lines, an optional request or
 * status line first; a blank line ends it (the body follows). Repeated headers are kept.
 */
export function parseHeaderBlock(text: string, source: string): HeaderList {
  const headers: HeaderList = [];
  for (const line of text.trim().split(/\r?\n/)) {
    if (line.trim() === "") break;
    if (/^(HTTP\/\d|[A-Z]+ \S+ HTTP\/\d)/.test(line)) continue;
    const colon = line.indexOf(":");
    if (colon <= 0)
      throw new UsageError(`${source}: cannot read header line ${JSON.stringify(line)}`, jsonHint);
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

/** JSON is checked with zod, loaded here only: plain `verify -H` does not pay for it. */
async function parseJsonHeaders(text: string, source: string): Promise<HeadersFile> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source} is not valid JSON (${(error as Error).message})`, jsonHint);
  }
  const [{ parseInput }, { bodyBytesOf }, { headerListOf }, { headersInput }, { capturedRequestInput }] =
    await Promise.all([
      import("../contract/parse.js"),
      import("../contract/body.js"),
      import("../contract/headers.js"),
      import("../contract/schema/headers.js"),
      import("../contract/schema/verify.js"),
    ]);
  if (!isCapture(value)) return { headers: headerListOf(parseInput(headersInput, value, source, jsonHint)) };
  const capture = parseInput(capturedRequestInput, value, source, jsonHint);
  const body = bodyBytesOf({ body: capture.body ?? null, bodyBase64: capture.bodyBase64 ?? null });
  return { headers: headerListOf(capture.headers), ...(body ? { body } : {}) };
}

/**
 * A request object (`{"headers": [...], "body": …}`) rather than an object of header names: its
 * `headers` field is a list or an object. A header really named "headers" has a string value.
 */
function isCapture(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const headers = (value as Record<string, unknown>).headers;
  return typeof headers === "object" && headers !== null;
}
