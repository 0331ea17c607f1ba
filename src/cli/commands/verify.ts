import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerVerify(program: Command, _host: CommandHost): void {
  program
    .command("verify")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl verify is not built yet");
    });
}
