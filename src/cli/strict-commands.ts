import { Command, CommanderError, type HelpContext } from "commander";
import { UsageError } from "../errors.js";
import { closest } from "./suggest.js";

/** "hookctl dlq", "hookctl log received": how help and hints name a command. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}

/** Subcommands a person can type (not commander's own `help`). */
function subcommandNames(command: Command): string[] {
  return command.commands.flatMap((sub) => [sub.name(), ...sub.aliases()]);
}

/**
 * `'bogus'` is not a subcommand of `group`: one line, with the nearest name when one is close,
 * worded as commander words an unknown top-level command.
 */
export function unknownSubcommand(group: Command, word: string): UsageError {
  const suggestion = closest(word, subcommandNames(group));
  return new UsageError(
    `unknown command '${word}'`,
    suggestion ? `did you mean ${suggestion}?` : `see ${commandPath(group)} --help`,
  );
}

/** The overview a bare `hookctl` prints: what it is, the commands, where to read more. */
function shortHelp(root: Command): string {
  const commands = root.commands.map((sub) => [sub.name(), sub.summary() || sub.description()] as const);
  const width = Math.max(...commands.map(([name]) => name.length));
  return [
    `Usage: ${root.name()} <command> [options]`,
    "",
    root.description(),
    "",
    "Commands:",
    ...commands.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    "",
    `Run \`${root.name()} <command> --help\` for a command's flags and examples, \`${root.name()} --help\` for global options.`,
    "",
  ].join("\n");
}

/**
 * Commander answers a missing or unknown subcommand (`hookctl`, `hookctl secret`,
 * `hookctl help bogus`) by printing a page of help on stderr. hookctl says it in one line
 * instead, and a bare `hookctl` shows a short overview on stdout with exit 0, as gh, cargo and
 * kubectl do (git and npm print theirs and exit 1).
 */
export class HookctlCommand extends Command {
  override createCommand(name?: string): Command {
    return new HookctlCommand(name);
  }

  override help(context?: HelpContext | ((text: string) => string)): never {
    if (typeof context === "object" && context.error) this.refuseIncomplete();
    return super.help(context as HelpContext);
  }

  private refuseIncomplete(): never {
    const [first, second] = this.args;
    if (first === "help" && second === "help") return super.help();
    if (first === "help" && second !== undefined) throw unknownSubcommand(this, second);
    if (first !== undefined) throw unknownSubcommand(this, first);
    if (!this.parent) {
      this.configureOutput().writeOut?.(shortHelp(this));
      throw new CommanderError(0, "commander.helpDisplayed", "(outputHelp)");
    }
    const path = commandPath(this);
    throw new UsageError(
      `${path.replace(/^\S+ /, "")} needs a subcommand: ${subcommandNames(this).join(", ")}`,
      `see ${path} --help`,
    );
  }
}

/** Whether `command` ran as its parent's default subcommand, without its name being typed. */
function ranAsDefault(command: Command): boolean {
  const names = [command.name(), ...command.aliases()];
  return command.parent !== null && !command.parent.args.some((word) => names.includes(word));
}

/**
 * A word that is neither an argument nor a subcommand, before any action runs. Without this,
 * `hookctl dlq bogus` reached `dlq list` (the default) as "too many arguments for 'list'", and
 * `hookctl log bogus` as too many arguments for `log` itself.
 */
function refuseExtraWords(command: Command): void {
  const declared = command.registeredArguments;
  if (declared.at(-1)?.variadic) return;
  const extra = command.args[declared.length];
  if (extra === undefined) return;
  if (command.commands.length > 0) throw unknownSubcommand(command, extra);
  if (command.parent?.parent && ranAsDefault(command)) throw unknownSubcommand(command.parent, extra);
  const expected = declared.length === 0 ? "none" : declared.map((arg) => `<${arg.name()}>`).join(" ");
  throw new UsageError(
    `unexpected argument '${extra}' for '${commandPath(command).replace(/^\S+ /, "")}' (expected ${expected})`,
    `see ${commandPath(command)} --help`,
  );
}

/**
 * Let the command groups (dlq, endpoint, log, log received, secret) and their subcommands see
 * stray words, so {@link refuseExtraWords} can name them as unknown subcommands.
 */
export function strictSubcommands(root: Command): void {
  const groups = (command: Command): Command[] =>
    command.commands.flatMap((sub) => (sub.commands.length > 0 ? [sub, ...groups(sub)] : []));
  for (const group of groups(root)) {
    group.allowExcessArguments();
    for (const sub of group.commands) sub.allowExcessArguments();
  }
  root.hook("preAction", (_root, action) => refuseExtraWords(action));
}
