import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: replaced by the real definition.
export function registerSend(program: Command, _host: CommandHost): void {
  program
    .command("send")
    .description("(not built yet)")
    .action(() => {
      throw new UsageError("hookctl send is not built yet");
    });
}
