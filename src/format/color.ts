/** chalk's levels: 0 none, 1 the 16 basic colours, 2 256 colours, 3 truecolor. */
export type ColorLevel = 0 | 1 | 2 | 3;

export interface ColorInputs {
  env: Readonly<Record<string, string | undefined>>;
  /** Whether the stream being written is a terminal. */
  isTTY: boolean | undefined;
  /** Commander's `color` option: false for `--no-color`. */
  flag?: boolean | undefined;
}

/**
 * The one colour decision, shared by the CLI's chalk instance and the terminal UI (whose Ink
 * paints with chalk's shared instance, which ignores NO_COLOR on its own). In order: `--no-color`,
 * then NO_COLOR (any non-empty value), then FORCE_COLOR (`0`/`false` off, `1`–`3` a level, empty
 * or `true` basic colour), then a terminal that is not `TERM=dumb`.
 */
export function colorLevel({ env, isTTY, flag }: ColorInputs): ColorLevel {
  if (flag === false) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return 0;
  const forced = env.FORCE_COLOR;
  if (forced !== undefined) return forcedLevel(forced);
  if (isTTY !== true || env.TERM === "dumb") return 0;
  if (env.COLORTERM === "truecolor" || env.COLORTERM === "24bit") return 3;
  return env.TERM?.includes("256") ? 2 : 1;
}

function forcedLevel(text: string): ColorLevel {
  const value = text.trim().toLowerCase();
  if (value === "" || value === "true") return 1;
  if (value === "false") return 0;
  const level = Number.parseInt(value, 10);
  if (Number.isNaN(level)) return 1;
  return Math.max(0, Math.min(3, level)) as ColorLevel;
}
