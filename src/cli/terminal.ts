import { UsageError } from "../errors.js";
import type { CliContext } from "./context.js";

/** Checked before Ink and React are loaded, so a script that calls `inspect` by mistake fails fast. */
export function requireTerminal(ctx: CliContext): void {
  if (ctx.stdin.isTTY !== true || ctx.stdout.isTTY !== true) {
    throw new UsageError("hookctl inspect needs an interactive terminal; try hookctl dlq list --json");
  }
}
