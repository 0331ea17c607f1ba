import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerLog(program: Command, _host: CommandHost): void {
  program
    .command("log")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl log is not built yet");
    });
}
