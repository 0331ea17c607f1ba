import type { Header, HeaderList, HeadersInput } from "./schema/headers.js";

export type { Header, HeaderList } from "./schema/headers.js";

/** An object of names to values, or [name, value] pairs, as the contract's ordered list. */
export function toHeaderList(
  headers: Record<string, string> | readonly (readonly [string, string])[],
): HeaderList {
  if (Array.isArray(headers)) return headers.map(([name, value]) => ({ name, value }));
  return Object.entries(headers).map(([name, value]) => ({ name, value }));
}

/** A validated headers input (list or object) as the ordered list; repeats kept, numbers as written. */
export function headerListOf(input: HeadersInput): HeaderList {
  if (Array.isArray(input)) return input.map(({ name, value }) => ({ name, value }));
  const list: Header[] = [];
  for (const [name, value] of Object.entries(input)) {
    if (Array.isArray(value)) for (const one of value) list.push({ name, value: one });
    else list.push({ name, value: String(value) });
  }
  return list;
}

/**
 * The list as one value per name, for lookups such as signature checks: repeated headers are
 * joined with ", " as HTTP allows (RFC 9110 §5.3), names kept as written.
 */
export function headerRecord(list: HeaderList): Record<string, string> {
  const record: Record<string, string> = {};
  for (const { name, value } of list) {
    const previous = Object.hasOwn(record, name) ? record[name] : undefined;
    record[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return record;
}
