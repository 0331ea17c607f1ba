import { sharedFunctions } from "./posix.js";
import type { CompletionNode } from "./tree.js";

/** A bash completion function (bash 3.2 and later). */
export function bashScript(nodes: readonly CompletionNode[]): string {
  return `# hookctl bash completion: eval "$(hookctl completion bash)"
${sharedFunctions(nodes)}

_hookctl() {
  local cmd nargs db kind subs flags cur="\${COMP_WORDS[COMP_CWORD]}" IFS=$'\\n'
  _hookctl_walk "\${COMP_WORDS[@]:1:COMP_CWORD-1}"
  _hookctl_next "$cur"
  case "$kind" in
    files)
      # Directories get their slash only when the candidates are file names.
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur")) ;;
    words) IFS=$' \\t\\n'; COMPREPLY=($(compgen -W "$subs" -- "$cur")) ;;
    endpoints | fixtures | schemes | statuses) COMPREPLY=($(compgen -W "$(_hookctl_list "$kind")" -- "$cur")) ;;
    *) COMPREPLY=() ;;
  esac
}
complete -F _hookctl hookctl
`;
}
