import type { Command } from "commander";
import * as z from "zod/mini";
import { contract, contractEntry } from "../../contract/registry.js";
import { ExitCode, UsageError } from "../../errors.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";

/** `hookctl schema [name]`: the list of schemas, or one as JSON Schema. */
export function runSchema(name: string | undefined, command: Command, ctx: CliContext): number {
  const flags = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(ctx, flags);
  if (name === undefined) {
    if (out.json) {
      for (const entry of contract)
        out.writeJson({ name: entry.name, direction: entry.direction, where: entry.where });
      return ExitCode.ok;
    }
    const width = Math.max(...contract.map((entry) => entry.name.length));
    for (const entry of contract) {
      const reads = entry.direction === "input" ? "read by " : "";
      out.line(`${entry.name.padEnd(width)}  ${out.style.dim(`${reads}${entry.where}`)}`);
    }
    return ExitCode.ok;
  }
  const entry = contractEntry(name);
  if (!entry)
    throw new UsageError(`no schema named ${JSON.stringify(name)}`, "list them with hookctl schema");
  const schema = z.toJSONSchema(entry.schema, { io: entry.direction === "input" ? "input" : "output" });
  const document = { title: entry.name, ...schema };
  ctx.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  return ExitCode.ok;
}
