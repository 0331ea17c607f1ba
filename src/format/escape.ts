/**
 * Text from the log or the user, made safe for a terminal: control characters (C0, DEL, C1)
 * become visible `\u001b`-style escapes, so an escape sequence in an event type, a header or a
 * body can never move the cursor, recolour or retitle the terminal. With `multiline`, newlines
 * and tabs survive (bodies) and carriage returns are dropped.
 */
export function escapeControl(text: string, multiline = false): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => {
    if (multiline && (char === "\n" || char === "\t")) return char;
    if (char === "\r" && multiline) return "";
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}
