import type { CliContext, OutStream } from "./context.js";

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
}

type Paint = (text: string) => string;

export interface Styles {
  ok: Paint;
  fail: Paint;
  warn: Paint;
  dim: Paint;
  bold: Paint;
  accent: Paint;
}

/**
 * Where a command writes. Data goes to stdout, diagnostics to stderr; colour only when the
 * stream is a terminal and neither NO_COLOR nor --no-color asks otherwise.
 */
export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  readonly isTTY: boolean;
  readonly style: Styles;
  /** One line of data on stdout (suppressed by --quiet). */
  line(text: string): void;
  /** One JSON value as a line on stdout (NDJSON-friendly); never suppressed. */
  writeJson(value: unknown): void;
  /** A diagnostic line on stderr (suppressed by --quiet). */
  note(text: string): void;
  stdout: OutStream;
  stderr: OutStream;
}

const ansi =
  (open: number, close: number): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const colored: Styles = {
  ok: ansi(32, 39),
  fail: ansi(31, 39),
  warn: ansi(33, 39),
  dim: ansi(2, 22),
  bold: ansi(1, 22),
  accent: ansi(36, 39),
};

const identity: Paint = (text) => text;
const plain: Styles = {
  ok: identity,
  fail: identity,
  warn: identity,
  dim: identity,
  bold: identity,
  accent: identity,
};

export function colorEnabled(ctx: CliContext, stream: OutStream, options: GlobalOptions): boolean {
  if (options.color === false) return false;
  if (ctx.env.NO_COLOR !== undefined && ctx.env.NO_COLOR !== "") return false;
  if (ctx.env.FORCE_COLOR !== undefined && ctx.env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && ctx.env.TERM !== "dumb";
}

export function createOutput(ctx: CliContext, options: GlobalOptions): Output {
  const color = colorEnabled(ctx, ctx.stdout, options);
  const quiet = options.quiet === true;
  return {
    json: options.json === true,
    quiet,
    color,
    isTTY: ctx.stdout.isTTY === true,
    style: color ? colored : plain,
    line(text) {
      if (!quiet) ctx.stdout.write(`${text}\n`);
    },
    writeJson(value) {
      ctx.stdout.write(`${JSON.stringify(value)}\n`);
    },
    note(text) {
      if (!quiet) ctx.stderr.write(`${text}\n`);
    },
    stdout: ctx.stdout,
    stderr: ctx.stderr,
  };
}
