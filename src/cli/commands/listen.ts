import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerListen(program: Command, _host: CommandHost): void {
  program
    .command("listen")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl listen is not built yet");
    });
}
