import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerInspect(program: Command, _host: CommandHost): void {
  program
    .command("inspect")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl inspect is not built yet");
    });
}
