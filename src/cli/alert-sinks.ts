import { commandSink } from "../delivery/alerts/command-sink.js";
import { httpSink } from "../delivery/alerts/http-sink.js";
import { runShellCommand } from "../delivery/alerts/spawn.js";
import type { AlertSink } from "../delivery/alerts/types.js";
import { createAttempt } from "../delivery/attempt.js";
import type { Transport } from "../delivery/transport.js";
import type { AlertSpec } from "./alert-flags.js";
import type { CliContext } from "./context.js";
import { packageVersion } from "./version.js";

/**
 * The sinks of a spec: commands run in the process's directory and environment; webhooks go out
 * over the run's transport (its pools and proxy settings), through the engine's attempt function.
 */
export function alertSinks(
  spec: AlertSpec,
  ctx: Pick<CliContext, "env" | "cwd" | "now">,
  transport: Pick<Transport, "dispatcherFor">,
): AlertSink[] {
  const sinks: AlertSink[] = [];
  if (spec.command !== undefined) {
    sinks.push(commandSink(spec.command, { env: ctx.env, cwd: ctx.cwd, run: runShellCommand }));
  }
  if (spec.url !== undefined) {
    sinks.push(
      httpSink(spec.url, {
        secrets: spec.secrets,
        attempt: createAttempt({ now: ctx.now, transport }),
        now: ctx.now,
        userAgent: `hookctl/${packageVersion()}`,
      }),
    );
  }
  return sinks;
}
