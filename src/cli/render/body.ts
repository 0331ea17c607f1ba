import { indentJson } from "../../format/json-indent.js";
import { utf8Text } from "../../format/utf8.js";
import type { Styles } from "../output.js";

/** The body as text if it is valid UTF-8 without control characters (tabs and newlines allowed). */
export function bodyText(body: Uint8Array): string | undefined {
  const text = utf8Text(body);
  if (text === undefined) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

/**
 * A JSON object or array re-indented with every token as sent (numbers keep every digit, strings
 * every escape); undefined for anything else, which is shown as it is.
 */
export function prettyJson(text: string): string | undefined {
  return /^\s*[[{]/.test(text) ? indentJson(text) : undefined;
}

/** `00000000  89 50 4e 47 0d 0a 1a 0a  …  |.PNG....|`: 16 bytes a row. */
export function hexPreview(body: Uint8Array, maxBytes = 256): string[] {
  const lines: string[] = [];
  const shown = Math.min(body.length, maxBytes);
  for (let offset = 0; offset < shown; offset += 16) {
    const row = body.subarray(offset, Math.min(offset + 16, shown));
    const hex = [...row].map((byte) => byte.toString(16).padStart(2, "0"));
    const left = hex.slice(0, 8).join(" ");
    const right = hex.slice(8).join(" ");
    const ascii = [...row]
      .map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : "."))
      .join("");
    lines.push(
      `${offset.toString(16).padStart(8, "0")}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`,
    );
  }
  if (body.length > shown) lines.push(`… ${body.length - shown} more bytes`);
  return lines;
}

/** A body for a terminal: pretty JSON, plain text, or a hex preview for binary; long bodies are cut. */
export function bodyLines(body: Uint8Array, style: Styles, maxLines = 200): string[] {
  if (body.length === 0) return [style.dim("(empty)")];
  const text = bodyText(body);
  if (text === undefined) return hexPreview(body).map((line) => style.dim(line));
  const lines = (prettyJson(text) ?? text).split(/\r?\n/);
  if (lines.length <= maxLines) return lines;
  return [...lines.slice(0, maxLines), style.dim(`… ${lines.length - maxLines} more lines`)];
}
