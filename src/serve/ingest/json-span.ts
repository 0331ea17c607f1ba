/**
 * Where values sit in a JSON text, as byte offsets, so a payload can be kept exactly as it was
 * sent (whitespace, escapes and number spelling included) rather than re-serialized. The text
 * must already have passed JSON.parse: these scanners only find boundaries, they do not check.
 * Working on the UTF-8 bytes is safe because every structural character is ASCII and no byte of
 * a multi-byte character is below 0x80.
 */
export interface Span {
  start: number;
  end: number;
}

const quote = 0x22;
const backslash = 0x5c;
const openers = new Set([0x7b, 0x5b]);
const closers = new Set([0x7d, 0x5d]);
const comma = 0x2c;
const colon = 0x3a;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function skipSpace(text: Buffer, at: number): number {
  let i = at;
  while (isSpace(text[i])) i++;
  return i;
}

/** From an opening quote to just past its closing one. */
function stringEnd(text: Buffer, at: number): number {
  let i = at + 1;
  for (;;) {
    const byte = text[i];
    if (byte === backslash) i += 2;
    else if (byte === quote) return i + 1;
    else i++;
  }
}

/** From a value's first byte to just past its last. */
function valueEnd(text: Buffer, at: number): number {
  const first = text[at] as number;
  if (first === quote) return stringEnd(text, at);
  if (openers.has(first)) {
    let depth = 0;
    let i = at;
    for (;;) {
      const byte = text[i] as number;
      if (byte === quote) {
        i = stringEnd(text, i);
        continue;
      }
      if (openers.has(byte)) depth++;
      else if (closers.has(byte)) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
  }
  // A number, true, false or null: up to the next separator.
  let i = at;
  while (i < text.length && !isSpace(text[i]) && text[i] !== comma && !closers.has(text[i] as number)) i++;
  return i;
}

/** The document's one top-level value, without the whitespace around it. */
export function rootSpan(text: Buffer): Span {
  const start = skipSpace(text, 0);
  return { start, end: valueEnd(text, start) };
}

/**
 * An object's members by decoded name (`"pay\u006coad"` is `payload`). A name given twice maps
 * to its last value, as JSON.parse reads it.
 */
export function memberSpans(text: Buffer, object: Span): Map<string, Span> {
  const members = new Map<string, Span>();
  let i = skipSpace(text, object.start + 1);
  while (text[i] === quote) {
    const nameEnd = stringEnd(text, i);
    const name = JSON.parse(text.toString("utf8", i, nameEnd)) as string;
    i = skipSpace(text, nameEnd);
    if (text[i] !== colon) break;
    const start = skipSpace(text, i + 1);
    const end = valueEnd(text, start);
    members.set(name, { start, end });
    i = skipSpace(text, end);
    if (text[i] !== comma) break;
    i = skipSpace(text, i + 1);
  }
  return members;
}

/** An array's elements in order. */
export function elementSpans(text: Buffer, array: Span): Span[] {
  const elements: Span[] = [];
  let i = skipSpace(text, array.start + 1);
  while (i < array.end - 1) {
    const end = valueEnd(text, i);
    elements.push({ start: i, end });
    i = skipSpace(text, end);
    if (text[i] !== comma) break;
    i = skipSpace(text, i + 1);
  }
  return elements;
}
