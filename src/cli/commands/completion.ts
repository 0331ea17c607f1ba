import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerCompletion(program: Command, _host: CommandHost): void {
  program
    .command("completion")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl completion is not built yet");
    });
}
