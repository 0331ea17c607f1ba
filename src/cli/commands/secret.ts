import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerSecret(program: Command, _host: CommandHost): void {
  program
    .command("secret")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl secret is not built yet");
    });
}
