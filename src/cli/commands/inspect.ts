import { type Command, Option } from "commander";
import type { CommandHost } from "../program.js";
import { requireTerminal } from "../terminal.js";

/**
 * Ink decides once, when first loaded, whether it runs in CI (CI or CONTINUOUS_INTEGRATION set)
 * and then draws nothing until exit. `inspect` has checked that it owns a terminal, so it is
 * interactive whatever the environment says: hide those two variables while Ink loads.
 */
async function loadAsInteractive<T>(load: () => Promise<T>): Promise<T> {
  const names = ["CI", "CONTINUOUS_INTEGRATION"] as const;
  const saved = names.map((name) => process.env[name]);
  for (const name of names) if (process.env[name] !== undefined) process.env[name] = "0";
  try {
    return await load();
  } finally {
    names.forEach((name, index) => {
      const value = saved[index];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    });
  }
}

export function registerInspect(program: Command, host: CommandHost): void {
  program
    .command("inspect")
    .description("browse dead letters and the delivery log in a terminal UI; retry, requeue or purge them")
    .addOption(
      new Option("--status <status>", "tab to open on")
        .choices(["dead", "pending", "in_flight", "in-flight", "succeeded", "all"])
        .default("dead"),
    )
    .option("--filter <text>", "start filtered: event type, URL, endpoint name or id contains this")
    .addHelpText(
      "after",
      `
Keys: ↑/↓ or j/k move, PgUp/PgDn page, g/G newest/oldest, Enter opens a delivery, Esc goes back,
Tab switches status, / filters, ? help, q quits.
  r  retry now: requeue and send at once, as \`hookctl replay <id>\` does; the result (status,
     time, next retry) shows in the status line and the attempt in the log. Keys keep working.
  R  requeue only: due now, sent by the next \`hookctl replay\`.
  d  purge the delivery and its attempts; only y confirms, any other key cancels.
The detail screen shows each failed attempt's status and the first lines of the response body.
Changes made by other processes (a running replay, a send, another machine on a PostgreSQL log)
show up within about a second.

Needs an interactive terminal; in scripts use \`hookctl dlq list --json\` or \`hookctl log --json\`.

Examples:
  hookctl inspect                           # the dead letters in the default log
  hookctl inspect --status all --filter order.created
  hookctl --db ./demo.db inspect --status pending
  hookctl --db postgres://hookctl@db.internal/hookctl inspect   # a shared PostgreSQL log`,
    )
    .action(async (options: { status: string; filter?: string }, command: Command) => {
      requireTerminal(host.ctx);
      // React's development build re-checks every element: a third slower per keystroke.
      process.env.NODE_ENV ??= "production";
      const { runInspect } = await loadAsInteractive(() => import("../actions/inspect.js"));
      host.setExitCode(await runInspect(options, command.optsWithGlobals(), host.ctx));
    });
}
