import type { Command } from "commander";
import type { CommandHost } from "../program.js";

export function registerSchema(program: Command, host: CommandHost): void {
  program
    .command("schema [name]")
    .description("print the JSON Schema of what hookctl prints with --json (or reads)")
    .addHelpText(
      "after",
      `
Without a name, lists every schema with the commands that print (or read) it. With a name,
prints that schema as JSON Schema (draft 2020-12). Field names and meanings only ever grow.

Examples:
  hookctl schema                                   # the list
  hookctl schema delivery > delivery.schema.json
  hookctl log --json | npx ajv-cli validate -s delivery.schema.json -d /dev/stdin`,
    )
    .action(async (name: string | undefined, _options: unknown, cmd: Command) => {
      const { runSchema } = await import("../actions/schema.js");
      host.setExitCode(runSchema(name, cmd, host.ctx));
    });
}
