import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerBackoff(program: Command, _host: CommandHost): void {
  program
    .command("backoff")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl backoff is not built yet");
    });
}
