import { Chalk } from "chalk";
import type { ColorLevel } from "../format/color.js";
import type { Styles } from "./output.js";

/** The CLI's styles painted by chalk at the level hookctl decided (chalk sniffs nothing itself). */
export function chalkStyles(level: ColorLevel): Styles {
  const chalk = new Chalk({ level });
  return {
    ok: chalk.green,
    fail: chalk.red,
    warn: chalk.yellow,
    dim: chalk.dim,
    bold: chalk.bold,
    accent: chalk.cyan,
  };
}
