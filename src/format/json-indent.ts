/**
 * Re-indenting JSON for display without parsing its values: JSON.parse + JSON.stringify turns
 * `12345678901234567890` into `12345678901234567000`, `1.0` into `1`, `"\u00e9"` into `é` and
 * keeps only the last of duplicate keys. Here every token is copied exactly as written; only the
 * whitespace between tokens changes.
 *
 * One pass, linear in the text, with an explicit stack instead of recursion so that deeply nested
 * input cannot overflow the JS stack.
 */

/**
 * Past this depth the indentation stops growing. Without a cap, 10,000 nested arrays would print
 * 10,000 lines averaging 10,000 spaces: output quadratic in the input. With it, each token gains
 * at most a newline and this many indents.
 */
const maxIndentDepth = 32;

const objectOpen = 0x7b; // {
const objectClose = 0x7d; // }
const arrayOpen = 0x5b; // [
const arrayClose = 0x5d; // ]
const quote = 0x22;
const backslash = 0x5c;
const comma = 0x2c;
const colon = 0x3a;
const space = 0x20;
const newline = 0x0a;
const minus = 0x2d;
const plus = 0x2b;
const dot = 0x2e;
const zero = 0x30;
const nine = 0x39;

/** A string token's escape letters, after the backslash. */
const simpleEscapes = new Set([...'"\\/bfnrt'].map((char) => char.charCodeAt(0)));

class NotJson extends Error {}

function isHex(char: number): boolean {
  const lower = char | 0x20;
  return (char >= zero && char <= nine) || (lower >= 0x61 && lower <= 0x66);
}

/**
 * `text` re-indented with `indent` per level (as `JSON.stringify(value, null, 2)` lays it out),
 * every number, string, key and duplicate kept byte for byte; undefined when `text` is not
 * exactly one JSON value (surrounding whitespace allowed).
 */
export function indentJson(text: string, indent = "  "): string | undefined {
  try {
    return new Indenter(text, indent).run();
  } catch (error) {
    if (error instanceof NotJson) return undefined;
    throw error;
  }
}

class Indenter {
  private pos = 0;
  private readonly out: Output;
  /** The open containers, innermost last: the closing character each one waits for. */
  private readonly open: number[] = [];

  constructor(
    private readonly text: string,
    indent: string,
  ) {
    this.out = new Output(text, indent);
  }

  run(): string {
    const { text, open, out } = this;
    this.skipSpace();
    for (;;) {
      // Here a value is expected.
      const char = text.charCodeAt(this.pos);
      if (char === objectOpen || char === arrayOpen) {
        const close = char === objectOpen ? objectClose : arrayClose;
        this.pos++;
        this.skipSpace();
        out.char(char);
        if (text.charCodeAt(this.pos) === close) {
          this.pos++;
          out.char(close);
        } else {
          open.push(close);
          out.newline(open.length);
          if (close === objectClose) this.key();
          continue;
        }
      } else {
        this.scalar(char);
      }
      // A value is complete: close containers until one continues with a comma.
      for (;;) {
        this.skipSpace();
        const close = open.at(-1);
        if (close === undefined) {
          if (this.pos !== text.length) throw new NotJson();
          return out.text();
        }
        const next = text.charCodeAt(this.pos);
        this.pos++;
        if (next === comma) {
          this.skipSpace();
          out.char(comma);
          out.newline(open.length);
          if (close === objectClose) this.key();
          break;
        }
        if (next !== close) throw new NotJson();
        open.pop();
        out.newline(open.length);
        out.char(close);
      }
    }
  }

  /** `"name": ` of an object member, leaving the position at its value. */
  private key(): void {
    if (this.text.charCodeAt(this.pos) !== quote) throw new NotJson();
    this.string();
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) !== colon) throw new NotJson();
    this.pos++;
    this.skipSpace();
    this.out.char(colon);
    this.out.char(space);
  }

  private scalar(char: number): void {
    if (char === quote) this.string();
    else if (char === minus || (char >= zero && char <= nine)) this.number();
    else if (!(this.literal("true") || this.literal("false") || this.literal("null"))) throw new NotJson();
  }

  private string(): void {
    const { text } = this;
    const start = this.pos;
    let pos = start + 1;
    for (;;) {
      const char = text.charCodeAt(pos);
      if (char === quote) break;
      // NaN past the end, and raw control characters, are not allowed in a JSON string.
      if (!(char >= 0x20)) throw new NotJson();
      if (char === backslash) {
        const escaped = text.charCodeAt(pos + 1);
        if (escaped === 0x75 /* u */) {
          for (let i = pos + 2; i < pos + 6; i++) if (!isHex(text.charCodeAt(i))) throw new NotJson();
          pos += 6;
        } else if (simpleEscapes.has(escaped)) {
          pos += 2;
        } else {
          throw new NotJson();
        }
      } else {
        pos++;
      }
    }
    this.pos = pos + 1;
    this.out.copy(start, this.pos);
  }

  /** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, copied as written. */
  private number(): void {
    const { text } = this;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === minus) pos++;
    if (text.charCodeAt(pos) === zero) pos++;
    else pos = this.digits(pos);
    if (text.charCodeAt(pos) === dot) pos = this.digits(pos + 1);
    const e = text.charCodeAt(pos) | 0x20;
    if (e === 0x65 /* e or E */) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === plus || sign === minus) pos++;
      pos = this.digits(pos);
    }
    this.pos = pos;
    this.out.copy(start, pos);
  }

  /** The end of one or more digits starting at `pos`. */
  private digits(pos: number): number {
    const { text } = this;
    let end = pos;
    while (end < text.length && text.charCodeAt(end) >= zero && text.charCodeAt(end) <= nine) end++;
    if (end === pos) throw new NotJson();
    return end;
  }

  private literal(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    this.out.copy(this.pos, this.pos + word.length);
    this.pos += word.length;
    return true;
  }

  private skipSpace(): void {
    const { text } = this;
    let pos = this.pos;
    for (;;) {
      const char = text.charCodeAt(pos);
      if (char !== 0x20 && char !== 0x0a && char !== 0x0d && char !== 0x09) break;
      pos++;
    }
    this.pos = pos;
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The indented text as UTF-16 code units in one growing array: building it from one small
 * string per token left a multi-megabyte body mostly to the garbage collector.
 */
class Output {
  private units: Uint16Array;
  private length = 0;
  private readonly indent: Uint16Array;

  constructor(
    private readonly source: string,
    indent: string,
  ) {
    // Room for the text and some indentation: most bodies never grow the array.
    this.units = new Uint16Array(Math.max(1024, Math.ceil(source.length * 1.5)));
    this.indent = Uint16Array.from({ length: indent.length }, (_, i) => indent.charCodeAt(i));
  }

  char(unit: number): void {
    this.reserve(1);
    this.units[this.length++] = unit;
  }

  /** Copy `source[start, end)` as it is. */
  copy(start: number, end: number): void {
    this.reserve(end - start);
    const { units, source } = this;
    let at = this.length;
    for (let i = start; i < end; i++) units[at++] = source.charCodeAt(i);
    this.length = at;
  }

  /** A newline and the indentation of `depth` levels (capped; see maxIndentDepth). */
  newline(depth: number): void {
    const levels = Math.min(depth, maxIndentDepth);
    this.reserve(1 + levels * this.indent.length);
    this.units[this.length++] = newline;
    for (let level = 0; level < levels; level++) {
      this.units.set(this.indent, this.length);
      this.length += this.indent.length;
    }
  }

  text(): string {
    // Buffer rather than TextDecoder: it keeps a lone surrogate instead of replacing it.
    const bytes = Buffer.from(this.units.buffer, 0, this.length * 2);
    if (!littleEndian) bytes.swap16();
    return bytes.toString("utf16le");
  }

  private reserve(more: number): void {
    if (this.length + more <= this.units.length) return;
    const grown = new Uint16Array(Math.max(this.units.length * 2, this.length + more));
    grown.set(this.units.subarray(0, this.length));
    this.units = grown;
  }
}
