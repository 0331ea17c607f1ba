import type { Command } from "commander";

/**
 * What the word after a flag (or a positional argument) is: a dynamic list the script asks
 * `hookctl completion --list <kind>` for, a file, or free text (nothing to offer — never files).
 */
export type ValueKind = ListKind | "files" | "text";
export type ListKind = (typeof listKinds)[number];
export const listKinds = ["endpoints", "fixtures", "schemes", "statuses"] as const;

export interface CompletionOption {
  /** Long and short spellings, e.g. ["--fixture", "-f"]. */
  flags: string[];
  /** Absent for a switch. */
  takes?: ValueKind;
  description: string;
}

/** What completion needs from one command. */
export interface CompletionNode {
  /** Space-separated path below `hookctl`; "" is the root. */
  path: string;
  subcommands: string[];
  /** Its own options, the inherited global ones and --help. */
  options: CompletionOption[];
  /** What each positional argument is, in order. */
  args: ValueKind[];
  description: string;
}

/** Flags whose value is one of the dynamic lists, whichever command they are on. */
const listFlags: Record<string, ListKind> = {
  "--endpoint": "endpoints",
  "--fixture": "fixtures",
  "--scheme": "schemes",
  "--status": "statuses",
};

/** Flags that take a file path (`listen --path` is a URL path, so this cannot go by the value's name). */
const fileFlags = new Set([
  "--db",
  "--secret-file",
  "--headers-file",
  "--ready-file",
  "--ca",
  "--token-file",
  "--alert-secret-file",
  "--cert",
  "--key",
]);

/** Commands whose first argument is an endpoint name. */
const endpointArgumentCommands = new Set([
  "send",
  "endpoint show",
  "endpoint set",
  "endpoint rm",
  "endpoint rotate-secret",
]);

const help: CompletionOption = { flags: ["--help", "-h"], description: "show help" };

function describeOption(option: Command["options"][number]): CompletionOption {
  const flags = [option.long, option.short].filter((flag): flag is string => !!flag);
  const takesValue = option.required || option.optional;
  const long = option.long ?? "";
  const takes: ValueKind | undefined = !takesValue
    ? undefined
    : (listFlags[long] ?? (fileFlags.has(long) ? "files" : "text"));
  return { flags, ...(takes ? { takes } : {}), description: option.description };
}

function argumentKinds(command: Command, path: string): ValueKind[] {
  return command.registeredArguments.map((argument, index) => {
    if (index === 0 && endpointArgumentCommands.has(path)) return "endpoints";
    return argument.name() === "file" ? "files" : "text";
  });
}

/** Walk commander's tree (hidden commands and `help` left out). */
export function completionTree(root: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string, inherited: CompletionOption[]) => {
    const own = command.options.filter((option) => !option.hidden).map(describeOption);
    const children = command.commands.filter(
      (child) => !(child as unknown as { _hidden?: boolean })._hidden && child.name() !== "help",
    );
    nodes.push({
      path,
      subcommands: children.map((child) => child.name()),
      options: [...inherited, ...own, help],
      args: argumentKinds(command, path),
      description: command.description(),
    });
    // Global options work after any subcommand; --version only means something at the root.
    const globals = path === "" ? own.filter((option) => !option.flags.includes("--version")) : inherited;
    for (const child of children) visit(child, path ? `${path} ${child.name()}` : child.name(), globals);
  };
  visit(root, "", []);
  return nodes;
}
