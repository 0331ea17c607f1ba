import { type CompletionNode, dynamicFlags, endpointArgumentCommands } from "./tree.js";

const quote = (words: readonly string[]) => words.join(" ");

/** A bash completion function; zsh reuses it through bashcompinit. */
export function bashScript(nodes: readonly CompletionNode[]): string {
  const subcommandCases = nodes
    .filter((node) => node.subcommands.length > 0)
    .map((node) => `    "${node.path}") subs="${quote(node.subcommands)}" ;;`)
    .join("\n");
  const flagCases = nodes.map((node) => `    "${node.path}") flags="${quote(node.flags)}" ;;`).join("\n");
  const valueFlags = [...new Set(nodes.flatMap((node) => node.valueFlags))];
  const dynamicCases = Object.entries(dynamicFlags)
    .map(
      ([flag, kind]) =>
        `    ${flag}) COMPREPLY=($(compgen -W "$(hookctl completion --list ${kind} 2>/dev/null)" -- "$cur")); return ;;`,
    )
    .join("\n");
  const endpointPaths = endpointArgumentCommands.map((path) => `"${path}"`).join("|");
  return `# hookctl bash completion: eval "$(hookctl completion bash)"
_hookctl() {
  local cur prev path word i subs flags candidate
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${dynamicCases}
  esac
  case " ${quote(valueFlags)} " in
    *" $prev "*) COMPREPLY=(); return ;;
  esac
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    subs=""
    case "$path" in
${subcommandCases}
    esac
    for candidate in $subs; do
      if [[ "$candidate" == "$word" ]]; then path="\${path:+$path }$word"; break; fi
    done
  done
  subs=""
  flags=""
  case "$path" in
${subcommandCases}
  esac
  case "$path" in
${flagCases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  case "$path" in
    ${endpointPaths}) subs="$subs $(hookctl completion --list endpoints 2>/dev/null)" ;;
  esac
  COMPREPLY=($(compgen -W "$subs" -- "$cur"))
}
complete -o default -F _hookctl hookctl
`;
}

export function zshScript(nodes: readonly CompletionNode[]): string {
  return `#compdef hookctl
# hookctl zsh completion: eval "$(hookctl completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bashScript(nodes)}`;
}
