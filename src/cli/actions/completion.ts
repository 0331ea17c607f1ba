import type { Command } from "commander";
import { resolveDbPath } from "../../config/paths.js";
import { ExitCode, UsageError } from "../../errors.js";
import { bashScript } from "../completion/bash.js";
import { fishScript } from "../completion/fish.js";
import { completionTree } from "../completion/tree.js";
import { zshScript } from "../completion/zsh.js";
import type { CliContext } from "../context.js";

export async function runCompletion(
  shell: string | undefined,
  options: { list?: string },
  command: Command,
  ctx: CliContext,
): Promise<number> {
  if (options.list) {
    const candidates = await listCandidates(options.list, command.optsWithGlobals<{ db?: string }>().db, ctx);
    if (candidates.length > 0) ctx.stdout.write(`${candidates.join("\n")}\n`);
    return ExitCode.ok;
  }
  // This program loaded only the completion command; describe all of them.
  const { createProgram } = await import("../program.js");
  const root = await createProgram(ctx, { exitCode: 0 }, [], { full: true });
  const nodes = completionTree(root);
  const scripts: Record<string, () => string> = {
    bash: () => bashScript(nodes),
    zsh: () => zshScript(nodes),
    fish: () => fishScript(nodes),
  };
  const make = shell ? scripts[shell] : undefined;
  if (!make)
    throw new UsageError(
      `unknown shell ${JSON.stringify(shell ?? "")}`,
      "use hookctl completion bash, zsh or fish",
    );
  ctx.stdout.write(make());
  return ExitCode.ok;
}

/** Candidates for TAB: never an error, never creates a log (completion must stay silent). */
async function listCandidates(kind: string, dbFlag: string | undefined, ctx: CliContext): Promise<string[]> {
  try {
    switch (kind) {
      case "schemes":
        return [...(await import("../../signing/index.js")).schemeNames];
      case "statuses":
        return [...(await import("../../store/types.js")).deliveryStatuses];
      case "fixtures":
        return (await import("../../delivery/fixtures.js")).listFixtures().map((fixture) => fixture.name);
      case "endpoints": {
        const { openLog } = await import("../../store/log-handle.js");
        const { endpointStoreOf } = await import("../../store/ports/endpoints.js");
        const log = await openLog(resolveDbPath(dbFlag, ctx.env), {
          readOnly: true,
          poolSize: 1,
          // TAB must not hang on a host that does not answer.
          connectTimeoutMs: 1000,
        });
        try {
          return (await endpointStoreOf(log).listEndpoints()).map((endpoint) => endpoint.name);
        } finally {
          await log.close();
        }
      }
      default:
        return [];
    }
  } catch {
    return [];
  }
}
