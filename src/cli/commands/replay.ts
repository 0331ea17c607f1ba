import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerReplay(program: Command, _host: CommandHost): void {
  program
    .command("replay")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl replay is not built yet");
    });
}
