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

/**
 * A header block as pasted from a request dump (`Name: value` lines, an optional request or
 * status line first), or a JSON object of names to values.
 */
export function parseHeaderBlock(text: string, source: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(`${source} is not valid JSON`, "give a JSON object or raw 'Name: value' lines");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(`${source} must hold a JSON object of header names to values`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(parsed)) {
      headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
    }
    return headers;
  }
  const headers: Record<string, string> = {};
  for (const line of trimmed.split(/\r?\n/)) {
    if (line.trim() === "") break; // the body starts after the first blank line
    if (/^(HTTP\/\d|[A-Z]+ \S+ HTTP\/\d)/.test(line)) continue; // request or status line
    const colon = line.indexOf(":");
    if (colon <= 0) throw new UsageError(`${source}: cannot read header line ${JSON.stringify(line)}`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}
