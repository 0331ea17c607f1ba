import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerEndpoint(program: Command, _host: CommandHost): void {
  program
    .command("endpoint")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl endpoint is not built yet");
    });
}
