import { Command } from "commander";
import { registerBackoff } from "./commands/backoff.js";
import { registerCompletion } from "./commands/completion.js";
import { registerDemo } from "./commands/demo.js";
import { registerDlq } from "./commands/dlq.js";
import { registerEndpoint } from "./commands/endpoint.js";
import { registerInspect } from "./commands/inspect.js";
import { registerListen } from "./commands/listen.js";
import { registerLog } from "./commands/log.js";
import { registerReplay } from "./commands/replay.js";
import { registerSecret } from "./commands/secret.js";
import { registerSend } from "./commands/send.js";
import { registerSign } from "./commands/sign.js";
import { registerVerify } from "./commands/verify.js";
import type { CliContext } from "./context.js";
import { packageVersion } from "./version.js";

/** What a command definition needs: the context and a place to leave its exit code. */
export interface CommandHost {
  ctx: CliContext;
  setExitCode(code: number): void;
}

export type RegisterCommand = (program: Command, host: CommandHost) => void;

/**
 * Command definitions are cheap (flags and help only); each action imports its handler lazily so
 * that `sign` and `verify` never load SQLite, undici, Ink or React.
 */
const commands: RegisterCommand[] = [
  registerSign,
  registerVerify,
  registerSecret,
  registerSend,
  registerEndpoint,
  registerLog,
  registerReplay,
  registerDlq,
  registerInspect,
  registerListen,
  registerBackoff,
  registerDemo,
  registerCompletion,
];

export function createProgram(ctx: CliContext, result: { exitCode: number }): Command {
  const program = new Command("hookctl")
    .description("Sign, verify, send, replay, receive and inspect webhooks.")
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help for a command")
    .option("--db <path>", "delivery log (SQLite) path; env HOOKCTL_DB")
    .option("--json", "print machine-readable JSON")
    .option("--no-color", "disable colour (NO_COLOR is honoured too)")
    .option("-q, --quiet", "print nothing but errors")
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: (text, write) => write(formatCommanderError(text)),
    });
  program.addHelpText(
    "after",
    "\nExit codes: 0 success, 1 check or delivery failed, 2 usage or bad input, 130 interrupted.\nRun `hookctl <command> --help` for a command's flags and examples.",
  );
  const host: CommandHost = {
    ctx,
    setExitCode(code) {
      result.exitCode = code;
    },
  };
  for (const register of commands) register(program, host);
  return program;
}

/** Commander says "error: unknown option '--x'\n(Did you mean --y?)"; we say it in one line. */
export function formatCommanderError(text: string): string {
  const lines = text
    .trim()
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const [first = "invalid usage", ...rest] = lines;
  const message = first.replace(/^error:\s*/, "");
  const suggestion = rest.find((line) => /did you mean/i.test(line));
  const hint = suggestion ? suggestion.replace(/^\(|\)$/g, "").replace(/^Did/, "did") : "see hookctl --help";
  return `hookctl: ${message} — ${hint}\n`;
}
