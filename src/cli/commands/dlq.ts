import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerDlq(program: Command, _host: CommandHost): void {
  program
    .command("dlq")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl dlq is not built yet");
    });
}
