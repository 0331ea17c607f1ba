import type { Command } from "commander";

/** What completion needs from one command: its path, subcommands, flags and which flags take a value. */
export interface CompletionNode {
  /** Space-separated path below `hookctl`; "" is the root. */
  path: string;
  subcommands: string[];
  flags: string[];
  /** Flags that take a value, so the next word is not a subcommand. */
  valueFlags: string[];
  description: string;
}

/** Dynamic value sources: the completion script asks `hookctl completion --list <kind>`. */
export const dynamicFlags: Record<string, "endpoints" | "fixtures" | "schemes" | "statuses"> = {
  "--endpoint": "endpoints",
  "--fixture": "fixtures",
  "--scheme": "schemes",
  "--status": "statuses",
};

/** Commands whose first argument is an endpoint name. */
export const endpointArgumentCommands = ["send", "endpoint show", "endpoint rm", "endpoint rotate-secret"];

/** Walk commander's tree (hidden commands and `help` left out). */
export function completionTree(root: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string, inherited: string[]) => {
    const own = command.options.filter((option) => !option.hidden);
    const flags = [
      ...inherited,
      ...own.flatMap((option) => [option.long, option.short].filter((f): f is string => !!f)),
    ];
    const valueFlags = own
      .filter((option) => option.required || option.optional)
      .flatMap((option) => [option.long, option.short].filter((f): f is string => !!f));
    const children = command.commands.filter(
      (child) => !(child as unknown as { _hidden?: boolean })._hidden && child.name() !== "help",
    );
    nodes.push({
      path,
      subcommands: children.map((child) => child.name()),
      flags: [...new Set([...flags, "--help"])],
      valueFlags,
      description: command.description(),
    });
    const globals =
      path === "" ? own.flatMap((option) => [option.long].filter((f): f is string => !!f)) : inherited;
    for (const child of children) visit(child, path ? `${path} ${child.name()}` : child.name(), globals);
  };
  visit(root, "", []);
  return nodes;
}
