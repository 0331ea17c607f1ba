import { type Command, CommanderError } from "commander";
import type { ErrorReportJson } from "../contract/schema/common.js";
import { ExitCode, UsageError } from "../errors.js";
import type { CliContext } from "./context.js";
import { oneLine } from "./one-line.js";
import { HookctlCommand, strictSubcommands } from "./strict-commands.js";
import { packageVersion } from "./version.js";

/** What a command definition needs: the context and a place to leave its exit code. */
export interface CommandHost {
  ctx: CliContext;
  setExitCode(code: number): void;
}

export type RegisterCommand = (program: Command, host: CommandHost) => void;

interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<RegisterCommand>;
}

/**
 * Every command, with the one-line summary the root help shows. Only the command being run has
 * its definition loaded, and each definition imports its handler lazily: start-up is part of the
 * product, and `verify` in a CI loop must not pay for the other twelve commands.
 */
const commandIndex: readonly CommandEntry[] = [
  {
    name: "sign",
    summary: "print the signature headers for a payload",
    load: async () => (await import("./commands/sign.js")).registerSign,
  },
  {
    name: "verify",
    summary: "check a payload against its signature headers",
    load: async () => (await import("./commands/verify.js")).registerVerify,
  },
  {
    name: "secret",
    summary: "generate signing secrets",
    load: async () => (await import("./commands/secret.js")).registerSecret,
  },
  {
    name: "send",
    summary: "persist, sign and deliver test events",
    load: async () => (await import("./commands/send.js")).registerSend,
  },
  {
    name: "replay",
    summary: "run the retry schedule, or requeue stored deliveries",
    load: async () => (await import("./commands/replay.js")).registerReplay,
  },
  {
    name: "log",
    summary: "list deliveries, their attempts and received requests",
    load: async () => (await import("./commands/log.js")).registerLog,
  },
  {
    name: "dlq",
    summary: "dead letters: list, show, requeue, purge",
    load: async () => (await import("./commands/dlq.js")).registerDlq,
  },
  {
    name: "inspect",
    summary: "browse and requeue dead letters in a terminal UI",
    load: async () => (await import("./commands/inspect.js")).registerInspect,
  },
  {
    name: "listen",
    summary: "run a local receiver that verifies, dedupes and captures",
    load: async () => (await import("./commands/listen.js")).registerListen,
  },
  {
    name: "serve",
    summary: "run the outbox: an HTTP API that accepts events and delivers them",
    load: async () => (await import("./commands/serve.js")).registerServe,
  },
  {
    name: "relay",
    summary: "run the public relay: store providers' webhooks, stream them to listen --from",
    load: async () => (await import("./commands/relay.js")).registerRelay,
  },
  {
    name: "endpoint",
    summary: "manage named endpoints and their secrets",
    load: async () => (await import("./commands/endpoint.js")).registerEndpoint,
  },
  {
    name: "backoff",
    summary: "print the retry schedule a policy gives",
    load: async () => (await import("./commands/backoff.js")).registerBackoff,
  },
  {
    name: "demo",
    summary: "see the whole loop run against a flaky local receiver",
    load: async () => (await import("./commands/demo.js")).registerDemo,
  },
  {
    name: "schema",
    summary: "print the JSON Schema of what --json prints",
    load: async () => (await import("./commands/schema.js")).registerSchema,
  },
  {
    name: "completion",
    summary: "print a shell completion script",
    load: async () => (await import("./commands/completion.js")).registerCompletion,
  },
];

export const commandNames: readonly string[] = commandIndex.map((entry) => entry.name);

/** Root options that take a value, so the word after them is not a command name. */
const rootValueOptions = new Set(["--db"]);

/** The command argv asks for (skipping root options), if it names one we know. */
export function requestedCommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (rootValueOptions.has(word)) {
      i++;
      continue;
    }
    if (word.startsWith("-")) continue;
    if (word === "help") return argv[i + 1];
    return word;
  }
  return undefined;
}

export interface ProgramOptions {
  /** Load every command's definition (completion scripts describe them all). */
  full?: boolean;
}

export async function createProgram(
  ctx: CliContext,
  result: { exitCode: number },
  argv: readonly string[],
  options: ProgramOptions = {},
): Promise<Command> {
  const wanted = requestedCommand(argv);
  const program = new HookctlCommand("hookctl")
    .description("Sign, verify, send, replay, receive and inspect webhooks.")
    // Not .version(): that reads package.json on every start, and only --version needs it.
    .option("-V, --version", "print the version")
    .helpOption("-h, --help", "show help for a command")
    .option("--db <path|url>", "delivery log: a SQLite file path or a postgres:// URL; env HOOKCTL_DB")
    .option("--json", "print machine-readable JSON")
    .option("--no-color", "disable colour (NO_COLOR and FORCE_COLOR are honoured too)")
    .option("-q, --quiet", "print nothing but errors")
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: (text, write) =>
        write(
          formatCommanderError(
            text,
            commandNames.includes(wanted ?? "") ? subcommandPath(program, argv) : undefined,
            wantsJson(argv),
          ),
        ),
    });
  program.on("option:version", () => {
    const version = packageVersion();
    ctx.stdout.write(`${version}\n`);
    throw new CommanderError(0, "commander.version", version);
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
  for (const entry of commandIndex) {
    if (options.full || entry.name === wanted) {
      (await entry.load())(program, host);
    } else {
      // Listed in help and suggestions; never run, since asking for it loads the real one.
      program
        .command(entry.name)
        .description(entry.summary)
        .allowUnknownOption()
        .allowExcessArguments()
        .action(() => {
          throw new UsageError(`hookctl ${entry.name} could not be loaded`);
        });
    }
  }
  strictSubcommands(program);
  return program;
}

/**
 * The command a mistake was made in, as typed below `hookctl` (`relay channel add`): argv's
 * words followed down the command tree as far as they name subcommands.
 */
function subcommandPath(program: Command, argv: readonly string[]): string {
  const path: string[] = [];
  let at = program;
  for (const word of argv) {
    if (word === "--") break;
    const next = at.commands.find((sub) => sub.name() === word || sub.aliases().includes(word));
    if (!next) continue;
    path.push(next.name());
    at = next;
  }
  return path.join(" ");
}

/** Commander says "error: unknown option '--x'\n(Did you mean --y?)"; we say it in one line. */
export function formatCommanderError(text: string, command?: string, json = false): string {
  const lines = text
    .trim()
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const [first = "invalid usage", ...rest] = lines;
  const message = first.replace(/^error:\s*/, "");
  const suggestion = rest.find((line) => /did you mean/i.test(line));
  const hint = suggestion
    ? suggestion.replace(/^\(|\)$/g, "").replace(/^Did/, "did")
    : `see hookctl ${command ? `${command} ` : ""}--help`;
  // Commander quotes the value it refused: a pasted megabyte or binary stays one short line.
  return json
    ? errorJsonLine(oneLine(message), oneLine(hint, 200), ExitCode.usage)
    : `hookctl: ${oneLine(message)} — ${oneLine(hint, 200)}\n`;
}

/** Whether the invocation asked for JSON, so that even its errors are JSON (on stderr). */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes("--json");
}

/** `{"error": {"message", "hint", "exitCode"}}` as one line: the contract's error report. */
export function errorJsonLine(message: string, hint: string | null, exitCode: number): string {
  const report: ErrorReportJson = { error: { message, hint, exitCode } };
  return `${JSON.stringify(report)}\n`;
}
