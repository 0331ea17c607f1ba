// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
const unsendable = /[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/u;

/**
 * Why `value` can never be an HTTP header value (CR/LF, other control characters, beyond
 * Latin-1), or undefined. Checked before anything is stored: a value that can never be sent
 * would otherwise be retried as "reset" for a hundred minutes.
 */
export function unsendableReason(value: string): string | undefined {
  const bad = unsendable.exec(value)?.[0];
  if (bad === undefined) return undefined;
  if (bad === "\r" || bad === "\n") return "contains a line break (it would end the header)";
  const code = bad.codePointAt(0) ?? 0;
  const shown = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return code > 0xff
    ? `contains ${shown}, which a header cannot carry (HTTP header values are Latin-1)`
    : `contains the control character ${shown}`;
}
