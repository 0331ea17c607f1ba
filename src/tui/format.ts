import stringWidth from "string-width";
import { indentJson } from "../format/json-indent.js";
import { utf8Text } from "../format/utf8.js";
import type { DeliveryStatus, ErrorClass } from "../store/types.js";

/** Small text helpers shared by the components: pure, no colour, no terminal access. */

const statusNames: Record<DeliveryStatus, string> = {
  dead: "dead",
  pending: "pending",
  in_flight: "in flight",
  succeeded: "succeeded",
};

export function statusName(status: DeliveryStatus): string {
  return statusNames[status];
}

/** Drop control characters (ANSI escapes in a response body must not drive the terminal). */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, "·").replace(/\t/g, "  ");
}

// Printable ASCII is one column a character: the common case skips grapheme segmentation.
const narrowOnly = /^[\u0020-\u007e]*$/;
const graphemes = new Intl.Segmenter();

/** Columns `text` takes on a terminal: CJK and emoji take two, combining marks none. */
export function displayWidth(text: string): number {
  return narrowOnly.test(text) ? text.length : stringWidth(text);
}

/** The longest start of `text` that fits in `width` columns, and the columns it takes. */
export function fitStart(text: string, width: number): { text: string; width: number } {
  if (narrowOnly.test(text)) {
    const cut = text.slice(0, Math.max(0, width));
    return { text: cut, width: cut.length };
  }
  let used = 0;
  let end = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    const columns = stringWidth(segment);
    if (used + columns > width) break;
    used += columns;
    end = index + segment.length;
  }
  return { text: text.slice(0, end), width: used };
}

/**
 * Cut to `width` columns (with an ellipsis when cut) and pad to exactly `width` columns, counted
 * as the terminal shows them: a wide character that would straddle the edge becomes padding.
 */
export function clip(text: string, width: number, align: "left" | "right" = "left"): string {
  if (width <= 0) return "";
  const full = displayWidth(text);
  let cut = text;
  let used = full;
  if (full > width) {
    const start = fitStart(text, width - 1);
    cut = `${start.text}…`;
    used = start.width + 1;
  }
  const fill = " ".repeat(width - used);
  return align === "right" ? fill + cut : cut + fill;
}

/** 100000 as "100,000" (Intl is slow enough to show up in a per-keystroke profile). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "12s", "5m", "3h", "2d": how long ago, in one short word. */
export function age(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** "in 12s" or "now" for a time still to come. */
export function until(at: number, now: number): string {
  return at <= now ? "now" : `in ${age(at - now)}`;
}

/** Local date and time to the second: `2025-03-01 14:05:09`. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The random tail of a ULID: the part that tells deliveries made in the same instant apart. */
export function shortId(id: string): string {
  return id.slice(-8);
}

/** The last HTTP status, or the class of the network error, in a word. */
export function outcome(statusCode: number | null, errorClass: ErrorClass | null): string {
  if (statusCode !== null) return String(statusCode);
  if (errorClass !== null) return errorClass;
  return "-";
}

export function latency(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/**
 * A body as lines: JSON re-indented with every value as sent, plain text, or a hex dump of the
 * first bytes of a binary one.
 */
export function bodyLines(
  body: Uint8Array,
  contentType: string,
  maxBytes = 512,
): {
  kind: "json" | "text" | "binary" | "empty";
  lines: string[];
} {
  if (body.length === 0) return { kind: "empty", lines: [] };
  const text = decodeUtf8(body);
  if (text === undefined) return { kind: "binary", lines: hexDump(body, maxBytes) };
  const trimmed = text.trimStart();
  if (/json/i.test(contentType) || trimmed.startsWith("{") || trimmed.startsWith("[")) {
    // A JSON string may hold raw C1 control characters: printable covers those too.
    const json = indentJson(text);
    if (json !== undefined) return { kind: "json", lines: json.split("\n").map(printable) };
  }
  return { kind: "text", lines: text.split(/\r?\n/).map(printable) };
}

/** Text to show as text: valid UTF-8 with no NUL (a NUL means binary, whatever else decodes). */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  return bytes.includes(0) ? undefined : utf8Text(bytes);
}

/** `00000010  7b 22 69 64 …  |{"id…|`, 16 bytes a line. */
export function hexDump(bytes: Uint8Array, maxBytes: number): string[] {
  const lines: string[] = [];
  const shown = Math.min(bytes.length, maxBytes);
  for (let offset = 0; offset < shown; offset += 16) {
    const chunk = bytes.subarray(offset, Math.min(offset + 16, shown));
    const hex = [...chunk].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...chunk]
      .map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : "."))
      .join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  if (bytes.length > shown) lines.push(`… ${bytes.length - shown} more bytes`);
  return lines;
}

/** One line of a response body for the timeline: whitespace collapsed, control characters gone. */
export function snippet(body: Uint8Array | null, width: number): string {
  if (!body || body.length === 0) return "";
  if (decodeUtf8(body) === undefined) return `(${body.length} bytes, binary)`;
  const text = new TextDecoder().decode(body.subarray(0, Math.min(body.length, 4096)));
  return clip(printable(text.replace(/\s+/g, " ").trim()), width).trimEnd();
}

/**
 * Hard-wrap at `width` columns (CJK and emoji count two); continuation lines are indented by
 * `indent` to show they continue.
 */
export function wrap(text: string, width: number, indent = "    "): string[] {
  if (width <= 0) return [""];
  if (displayWidth(text) <= width) return [text];
  const lines: string[] = [];
  let rest = text;
  let prefix = "";
  let room = width;
  while (rest !== "") {
    let part = fitStart(rest, room).text;
    // A wide character wider than the room left: take it anyway (the line is cut on screen).
    if (part === "") part = [...rest][0] as string;
    lines.push(prefix + part);
    rest = rest.slice(part.length);
    prefix = indent;
    room = Math.max(1, width - indent.length);
  }
  return lines;
}
