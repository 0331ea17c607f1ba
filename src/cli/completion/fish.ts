import type { CompletionNode, CompletionOption } from "./tree.js";

const quote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** Where the line is: the exact command path and argument count, from the words before the cursor. */
const helpers = (
  subcommands: string[],
  valueFlags: string[],
) => `set -g __hookctl_subcommands ${subcommands.map(quote).join(" ")}
set -g __hookctl_value_flags ${valueFlags.map(quote).join(" ")}

# Prints the command path (first line) and how many arguments it has so far (second line).
function __hookctl_state
    set -l cmd ''
    set -l nargs 0
    set -l pending 0
    for word in (commandline -opc)[2..-1]
        if test $pending = 1
            set pending 0
        else if string match -q -- '-*' $word
            contains -- "$cmd|$word" $__hookctl_value_flags; and set pending 1
        else if contains -- "$cmd|$word" $__hookctl_subcommands
            set cmd (string trim -- "$cmd $word")
        else
            set nargs (math $nargs + 1)
        end
    end
    printf '%s\\n' "$cmd" $nargs
end

function __hookctl_at --argument-names want
    set -l state (__hookctl_state)
    test "$state[1]" = "$want"
end

function __hookctl_arg --argument-names want index
    set -l state (__hookctl_state)
    test "$state[1]" = "$want"; and test "$state[2]" = "$index"
end

# Candidates for a --list kind, from the log named by --db on the line if any.
function __hookctl_list --argument-names kind
    set -l words (commandline -opc)
    set -l db
    for i in (seq (count $words))
        if test "$words[$i]" = --db; and test $i -lt (count $words)
            set db --db (string replace -r '^~' $HOME -- $words[(math $i + 1)])
        end
    end
    hookctl $db completion --list $kind 2>/dev/null
end`;

function optionLine(condition: string, option: CompletionOption): string {
  const spellings = option.flags.map((flag) =>
    flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`,
  );
  const value =
    option.takes === undefined
      ? ""
      : option.takes === "files"
        ? " -r -F"
        : option.takes === "text"
          ? " -x"
          : ` -x -a '(__hookctl_list ${option.takes})'`;
  return `complete -c hookctl -n ${condition} ${spellings.join(" ")}${value} -d ${quote(option.description)}`;
}

/** A fish completion script: conditions name the exact command path, so `dlq show` is not `log show`. */
export function fishScript(nodes: readonly CompletionNode[]): string {
  const byPath = new Map(nodes.map((node) => [node.path, node]));
  const subcommands = nodes.flatMap((node) => node.subcommands.map((sub) => `${node.path}|${sub}`));
  const valueFlags = nodes.flatMap((node) =>
    node.options
      .filter((option) => option.takes)
      .flatMap((option) => option.flags.map((f) => `${node.path}|${f}`)),
  );
  const lines = [
    "# hookctl fish completion: hookctl completion fish > ~/.config/fish/completions/hookctl.fish",
    helpers(subcommands, valueFlags),
    "complete -c hookctl -f",
  ];
  for (const node of nodes) {
    const at = quote(`__hookctl_at ${quote(node.path)}`);
    for (const sub of node.subcommands) {
      const child = byPath.get(node.path ? `${node.path} ${sub}` : sub);
      lines.push(`complete -c hookctl -n ${at} -a ${sub} -d ${quote(child?.description ?? "")}`);
    }
    for (const option of node.options) lines.push(optionLine(at, option));
    node.args.forEach((kind, index) => {
      if (kind === "text") return;
      const condition = quote(`__hookctl_arg ${quote(node.path)} ${index}`);
      lines.push(
        kind === "files"
          ? `complete -c hookctl -n ${condition} -F`
          : `complete -c hookctl -n ${condition} -a '(__hookctl_list ${kind})'`,
      );
    });
  }
  return `${lines.join("\n")}\n`;
}
