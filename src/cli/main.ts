import { randomBytes } from "node:crypto";
import { CommanderError } from "commander";
import { ExitCode, HookctlError } from "../errors.js";
import { storeFault } from "../store/write-errors.js";
import type { CliContext } from "./context.js";
import { oneLine } from "./one-line.js";
import { prepareColor } from "./output.js";
import { createProgram, errorJsonLine, wantsJson } from "./program.js";

/**
 * Parse argv, run one command, and turn whatever happened into an exit code.
 * This is the one error boundary: nothing below it prints errors or exits.
 */
export async function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  const result = { exitCode: 0 };
  try {
    await prepareColor(ctx, argv);
    const program = await createProgram(ctx, result, argv);
    await program.parseAsync([...argv], { from: "user" });
    return result.exitCode;
  } catch (error) {
    return reportError(error, ctx, wantsJson(argv));
  }
}

function reportError(thrown: unknown, ctx: CliContext, json: boolean): number {
  const error = storeFault(thrown) ?? thrown;
  const debug = ctx.env.HOOKCTL_DEBUG === "1";
  if (error instanceof CommanderError) {
    // Help and --version arrive here as "errors" with exit code 0; commander already printed them.
    if (error.exitCode === 0) return ExitCode.ok;
    // Commander printed its message through outputError (see program.ts).
    return ExitCode.usage;
  }
  // Messages quote what the user gave (ids, paths, file contents): one line, whatever was in them.
  if (error instanceof HookctlError) {
    const hint = error.hint ? oneLine(error.hint, 200) : null;
    ctx.stderr.write(
      json
        ? errorJsonLine(oneLine(error.message), hint, error.exitCode)
        : `hookctl: ${oneLine(error.message)}${hint ? ` — ${hint}` : ""}\n`,
    );
    if (debug && error.stack) ctx.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = `unexpected error: ${oneLine(error instanceof Error ? error.message : String(error))}`;
  const bugHint = "this is a bug; rerun with HOOKCTL_DEBUG=1 and report it";
  ctx.stderr.write(
    json ? errorJsonLine(message, bugHint, ExitCode.internal) : `hookctl: ${message} — ${bugHint}\n`,
  );
  if (debug && error instanceof Error && error.stack) ctx.stderr.write(`${error.stack}\n`);
  return ExitCode.internal;
}

/**
 * The real process as a CliContext. A command that reads `ctx.signal` takes charge of winding
 * down on SIGINT/SIGTERM (finish in-flight work, return 130); `watched` records that it did.
 */
function processContext(signal: AbortSignal, watched: { signal: boolean }): CliContext {
  return {
    // process.stdin builds a stream (tty, net, fs streams) on first access: only for commands that read it.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    randomBytes: (size) => randomBytes(size),
    get signal() {
      watched.signal = true;
      return signal;
    },
  };
}

/**
 * Resolves once everything written to `stream` so far has been handed to the OS. Writes to a pipe
 * are asynchronous: exiting before they complete cuts the output at the pipe's buffer (64 KiB)
 * when the reader is slower than hookctl. Write callbacks run in order, so an empty write's
 * callback runs after every earlier write has completed or failed.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/** The binary's entry: wires process signals and exits with the command's code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  const watched = { signal: false };
  let exiting = false;
  // Everything written so far reaches a slow pipe reader before the process ends.
  const exitDrained = async (code: number) => {
    exiting = true;
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(code);
  };
  const onSignal = (name: NodeJS.Signals) => {
    // A second signal always means "stop now" (even while output drains): leases expire and are
    // reclaimed, nothing is lost.
    if (controller.signal.aborted || exiting) process.exit(ExitCode.interrupted);
    // A command that never looked at the signal has nothing to wind down: stop once its output
    // is out.
    if (!watched.signal) return void exitDrained(ExitCode.interrupted);
    // The reason says which signal: servers stop gracefully on SIGTERM and then exit 0.
    controller.abort(name);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A closed pipe (e.g. `hookctl log | head`) is not an error worth a stack trace; a closed
  // stderr has nobody left to tell. A command that winds down (send, replay, the servers) stops
  // as on Ctrl-C instead, exit 130: ending it here would leave its claims in flight until their
  // leases ran out and report success for deliveries never made.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") return;
    // Whatever is still queued for stderr goes out first; stdout has nobody left to read it.
    if (!watched.signal) return void exitDrained(ExitCode.ok);
    if (controller.signal.aborted) return;
    process.stderr.write("hookctl: the output's reader went away; stopping as on Ctrl-C\n");
    controller.abort("EPIPE");
  });
  process.stderr.on("error", () => {});
  const code = await run(process.argv.slice(2), processContext(controller.signal, watched));
  await exitDrained(code);
}
