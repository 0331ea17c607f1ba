import type { CompletionNode } from "./tree.js";

/** A `case` arm pattern: each alternative double-quoted, so words with `-` or `|` stay literal. */
const pattern = (keys: readonly string[]) => keys.map((key) => `"${key}"`).join("|");

const caseFunction = (name: string, why: string, subject: string, arms: string[]) =>
  `# ${why}
${name}() {
  case "${subject}" in
${arms.join("\n")}
  esac
}`;

/**
 * Shell functions bash and zsh share (the syntax used is common to both): the command tree as
 * `case` tables, and the walk over the words typed so far. They talk through the caller's
 * locals `cmd nargs db kind subs flags` — names that are not zsh specials (`path`, `status`, …
 * are: `local path` empties `$PATH` in zsh).
 */
export function sharedFunctions(nodes: readonly CompletionNode[]): string {
  const subs = nodes
    .filter((node) => node.subcommands.length > 0)
    .map((node) => `    ${pattern([node.path])}) subs="${node.subcommands.join(" ")}" ;;`);
  const flags = nodes.map(
    (node) => `    ${pattern([node.path])}) flags="${node.options.flatMap((o) => o.flags).join(" ")}" ;;`,
  );
  const takes = nodes.flatMap((node) =>
    node.options
      .filter((option) => option.takes)
      .map(
        (option) => `    ${pattern(option.flags.map((f) => `${node.path}|${f}`))}) kind=${option.takes} ;;`,
      ),
  );
  const args = nodes.flatMap((node) =>
    node.args.map((kind, index) => `    ${pattern([`${node.path}|${index}`])}) kind=${kind} ;;`),
  );
  return [
    caseFunction("_hookctl_subs", "$1 command path -> subs", "$1", subs),
    caseFunction("_hookctl_flags", "$1 command path -> flags", "$1", flags),
    caseFunction(
      "_hookctl_takes",
      "$1 command path, $2 flag -> kind of its value (unset: a switch)",
      "$1|$2",
      takes,
    ),
    caseFunction("_hookctl_arg", "$1 command path, $2 argument index -> kind", "$1|$2", args),
    `# The words before the cursor -> cmd (command path), nargs (arguments so far), db (--db value),
# kind (set when the cursor is on a flag's value).
_hookctl_walk() {
  local word pending=""
  cmd=""; nargs=0; db=""; kind=""
  for word in "$@"; do
    if [[ -n "$pending" ]]; then
      [[ "$pending" == --db ]] && db="$word"
      pending=""; kind=""
      continue
    fi
    if [[ "$word" == -* ]]; then
      kind=""; _hookctl_takes "$cmd" "$word"
      [[ -n "$kind" ]] && pending="$word"
      continue
    fi
    subs=""; _hookctl_subs "$cmd"
    case " $subs " in
      *" $word "*) cmd="\${cmd:+$cmd }$word" ;;
      *) nargs=$((nargs + 1)) ;;
    esac
  done
}

# $1 the word under the cursor -> kind: words (offer $subs), files, text (nothing) or a --list kind.
_hookctl_next() {
  [[ -n "$kind" ]] && return 0
  if [[ "$1" == -* ]]; then
    flags=""; _hookctl_flags "$cmd"; subs="$flags"; kind=words
    return 0
  fi
  subs=""; _hookctl_subs "$cmd"
  if [[ -n "$subs" ]]; then kind=words; return 0; fi
  kind=text; _hookctl_arg "$cmd" "$nargs"
}

# $1 a --list kind: the candidates, from the log named by --db on the line if any.
_hookctl_list() {
  if [[ -n "$db" ]]; then
    hookctl --db "\${db/#\\~/$HOME}" completion --list "$1" 2>/dev/null
  else
    hookctl completion --list "$1" 2>/dev/null
  fi
}`,
  ].join("\n\n");
}
