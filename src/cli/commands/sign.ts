import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerSign(program: Command, _host: CommandHost): void {
  program
    .command("sign")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl sign is not built yet");
    });
}
