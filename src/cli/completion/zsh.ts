import { sharedFunctions } from "./posix.js";
import type { CompletionNode } from "./tree.js";

/**
 * A native zsh completion function (compadd and _files), not bash's through bashcompinit: file
 * completion, quoting and prefix matching are zsh's own, and nothing depends on the emulation.
 * The same text works from $fpath (autoloaded as `_hookctl`) and through eval after compinit.
 */
export function zshScript(nodes: readonly CompletionNode[]): string {
  return `#compdef hookctl
# hookctl zsh completion: save as _hookctl in a directory on $fpath, or
# eval "$(hookctl completion zsh)" after compinit in ~/.zshrc.
${sharedFunctions(nodes)}

_hookctl() {
  local cmd nargs db kind subs flags
  local -a values
  _hookctl_walk "\${(@)words[2,CURRENT-1]}"
  _hookctl_next "\${words[CURRENT]}"
  case "$kind" in
    files) _files ;;
    words) compadd -- \${=subs} ;;
    endpoints | fixtures | schemes | statuses)
      values=(\${(f)"$(_hookctl_list "$kind")"})
      compadd -- $values ;;
    *) return 1 ;;
  esac
}

if [[ "\${funcstack[1]}" == _hookctl ]]; then
  _hookctl "$@"
elif (( \${+functions[compdef]} )); then
  compdef _hookctl hookctl
else
  print -u2 "hookctl: zsh completion needs compinit first: put 'autoload -Uz compinit && compinit' above this line"
fi
`;
}
