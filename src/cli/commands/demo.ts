import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerDemo(program: Command, _host: CommandHost): void {
  program
    .command("demo")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl demo is not built yet");
    });
}
