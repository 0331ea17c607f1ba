import { type CompletionNode, dynamicFlags, endpointArgumentCommands } from "./tree.js";

const quoteFish = (text: string) => text.replace(/'/g, "\\'");

/** A fish completion script: one `complete` line per subcommand and flag. */
export function fishScript(nodes: readonly CompletionNode[]): string {
  const lines = ["# hookctl fish completion: hookctl completion fish | source", "complete -c hookctl -f"];
  const byPath = new Map(nodes.map((node) => [node.path, node]));
  for (const node of nodes) {
    const words = node.path === "" ? [] : node.path.split(" ");
    const condition =
      words.length === 0
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${words[words.length - 1]}${
            node.subcommands.length > 0
              ? `; and not __fish_seen_subcommand_from ${node.subcommands.join(" ")}`
              : ""
          }`;
    for (const sub of node.subcommands) {
      const child = byPath.get(node.path ? `${node.path} ${sub}` : sub);
      lines.push(
        `complete -c hookctl -n '${condition}' -a ${sub} -d '${quoteFish(child?.description ?? "")}'`,
      );
    }
    for (const flag of node.flags.filter((f) => f.startsWith("--"))) {
      const kind = dynamicFlags[flag];
      const values = kind
        ? ` -xa '(hookctl completion --list ${kind} 2>/dev/null)'`
        : node.valueFlags.includes(flag)
          ? " -r"
          : "";
      lines.push(`complete -c hookctl -n '${condition}' -l ${flag.slice(2)}${values}`);
    }
    if (endpointArgumentCommands.includes(node.path)) {
      lines.push(
        `complete -c hookctl -n '${condition}' -a '(hookctl completion --list endpoints 2>/dev/null)'`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
