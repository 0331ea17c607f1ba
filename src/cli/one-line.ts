/**
 * Characters that would break a one-line message or drive the terminal: C0 controls (ESC, CR,
 * LF…), DEL, C1 controls, line and paragraph separators, bidi overrides, the BOM, and lone
 * surrogates (what a binary file decodes to at worst).
 */
const unsafe =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what gets escaped
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(char: string): string {
  const short = named[char];
  if (short) return short;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Longest run of non-space characters (an id, a path, a pasted value) kept whole. */
const maxRun = 80;
const longRun = new RegExp(`\\S{${maxRun + 1},}`, "g");

/** A quoted value (JSON.stringify's quoting, as messages quote input). */
const quoted = /"(?:[^"\\]|\\.)*"/g;

/**
 * `head…tail` of a long text, cut on code points so no surrogate pair is split, and not inside
 * a backslash escape at the head.
 */
function cutMiddle(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const tail = Math.floor(max / 4);
  const head = chars
    .slice(0, max - tail - 1)
    .join("")
    .replace(/\\(?:u[0-9a-fA-F]{0,3}|x[0-9a-fA-F]?)?$/, "");
  return `${head}…${chars.slice(chars.length - tail).join("")}`;
}

/**
 * Text that comes from anywhere (a message quoting user input, a file's bytes) made safe to print
 * as part of one line: control characters escaped, long quoted values and long runs such as a
 * pasted id cut to `head…tail`, and the whole kept under `max` characters.
 */
export function oneLine(text: string, max = 400): string {
  const escaped = text.replace(unsafe, escapeChar);
  const valuesCut = escaped.replace(quoted, (value) =>
    value.length > maxRun + 2 ? `"${cutMiddle(value.slice(1, -1), maxRun)}"` : value,
  );
  const runsCut = valuesCut.replace(longRun, (run) => cutMiddle(run, maxRun));
  return cutMiddle(runsCut, max);
}
