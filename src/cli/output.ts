import { type ColorLevel, colorLevel } from "../format/color.js";
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
 * Where a command writes. Data goes to stdout, diagnostics to stderr; colour as `colorLevel`
 * decides (terminal, NO_COLOR, FORCE_COLOR, --no-color, TERM=dumb), painted by chalk.
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

const identity: Paint = (text) => text;
const plain: Styles = {
  ok: identity,
  fail: identity,
  warn: identity,
  dim: identity,
  bold: identity,
  accent: identity,
};

let chalkStyles: ((level: ColorLevel) => Styles) | undefined;

/**
 * Loads chalk (a chunk of its own) when this run may print colour, before any command makes its
 * Output: a plain `verify` in a CI loop, piped or under NO_COLOR, never loads it. `--no-color` is
 * read from argv here because commander has not parsed it yet; createOutput decides for real.
 */
export async function prepareColor(ctx: CliContext, argv: readonly string[]): Promise<void> {
  const flag = argv.includes("--no-color") ? false : undefined;
  if (chalkStyles || colorLevel({ env: ctx.env, isTTY: ctx.stdout.isTTY, flag }) === 0) return;
  chalkStyles = (await import("./styles.js")).chalkStyles;
}

function paint(level: ColorLevel): Styles {
  if (level === 0) return plain;
  if (!chalkStyles) throw new Error("colour styles used before prepareColor loaded them");
  return chalkStyles(level);
}

/** The colour level for one stream: see `colorLevel` in src/format/color.ts. */
export function colorLevelFor(ctx: CliContext, stream: OutStream, options: GlobalOptions): ColorLevel {
  return colorLevel({ env: ctx.env, isTTY: stream.isTTY, flag: options.color });
}

export function createOutput(ctx: CliContext, options: GlobalOptions): Output {
  const level = colorLevelFor(ctx, ctx.stdout, options);
  const color = level > 0;
  const quiet = options.quiet === true;
  return {
    json: options.json === true,
    quiet,
    color,
    isTTY: ctx.stdout.isTTY === true,
    style: paint(level),
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
