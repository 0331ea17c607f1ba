import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binPath, runBin } from "../helpers/bin.js";

// The generated scripts run in real bash, zsh and fish, asking a `hookctl` found on $PATH (a shim
// for the built binary) for endpoint, fixture, scheme and status names.

const installed = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;

/** CI installs every shell (.ci/run), so a missing one fails there; a developer machine may skip. */
function shellTest(shell: "bash" | "zsh" | "fish", name: string, body: () => void | Promise<void>) {
  it.skipIf(!installed(shell) && !process.env.CI)(`${shell}: ${name}`, async () => {
    if (!installed(shell))
      throw new Error(
        `${shell} is not installed: apt-get install -y ${shell} (.ci/run installs it before npm test)`,
      );
    await body();
  });
}

let dir: string;
let env: Record<string, string>;
let otherDb: string;
const script = { bash: "", zsh: "", fish: "" };
const lists = { fixtures: [] as string[], schemes: [] as string[], statuses: [] as string[] };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hookctl-completion-"));
  const shims = join(dir, "bin");
  mkdirSync(shims);
  writeFileSync(join(shims, "hookctl"), `#!/bin/sh\nexec "${process.execPath}" "${binPath}" "$@"\n`);
  chmodSync(join(shims, "hookctl"), 0o755);
  const db = join(dir, "hookctl.db");
  otherDb = join(dir, "other.db");
  const seeds: [string, string][] = [
    [db, "billing"],
    [otherDb, "orders"],
  ];
  for (const [log, name] of seeds) {
    const added = await runBin(["--db", log, "endpoint", "add", name, "--url", "http://127.0.0.1:9/hook"]);
    expect(added.code, added.stderr).toBe(0);
  }
  for (const shell of ["bash", "zsh", "fish"] as const) {
    script[shell] = join(dir, shell === "zsh" ? "_hookctl" : `hookctl.${shell}`);
    writeFileSync(script[shell], (await runBin(["completion", shell])).stdout);
  }
  for (const kind of ["fixtures", "schemes", "statuses"] as const)
    lists[kind] = (await runBin(["completion", "--list", kind])).stdout.trim().split("\n");
  // The working directory has a file and a folder, so offering files where none belong shows.
  const cwd = join(dir, "work");
  mkdirSync(join(cwd, "payloads"), { recursive: true });
  writeFileSync(join(cwd, "order.json"), "{}");
  env = {
    PATH: `${shims}:/usr/bin:/bin`,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_DATA_HOME: join(dir, "data"),
    HOOKCTL_DB: db,
    NO_COLOR: "1",
    TERM: "dumb",
  };
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (file: string, args: string[]) =>
  execFileSync(file, args, { cwd: join(dir, "work"), env, encoding: "utf8", timeout: 20_000 })
    .split("\n")
    .filter((line) => line !== "");

/** The words of a command line, with an empty last word when it ends in a space. */
const wordsOf = (line: string) => line.split(" ");

const complete = {
  bash: (line: string) =>
    run("bash", [
      "--norc",
      "-c",
      `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hookctl; printf "%s\\n" "\${COMPREPLY[@]}"`,
      script.bash,
      ...wordsOf(line),
    ]),
  // The real function with compadd and _files stubbed to print what they were given. PATH is the
  // shim's: a function that clobbers it (`local path`) finds no hookctl and offers nothing.
  zsh: (line: string) =>
    run("zsh", [
      "-f",
      "-c",
      `compdef() { :; }
compadd() { local a seen=0; for a in "$@"; do if (( seen )); then print -r -- "$a"; elif [[ $a == -- ]]; then seen=1; fi; done; }
_files() { print -r -- "<files>"; }
source "$1"; shift; words=("$@"); CURRENT=$#; _hookctl || true`,
      "zsh",
      script.zsh,
      ...wordsOf(line),
    ]),
  fish: (line: string) =>
    run("fish", ["--no-config", "-c", "source $argv[1]; complete -C $argv[2]", script.fish, line]).map(
      (candidate) => candidate.split("\t")[0],
    ),
};

describe("completion in real shells", () => {
  for (const shell of ["bash", "zsh", "fish"] as const) {
    const candidates = (line: string) => complete[shell](line).sort();
    const sorted = (words: string[]) => [...words].sort();

    shellTest(shell, "value flags offer the dynamic lists, not files", () => {
      expect(candidates("hookctl send --fixture ")).toEqual(sorted(lists.fixtures));
      expect(candidates("hookctl send -f ")).toEqual(sorted(lists.fixtures));
      expect(candidates("hookctl sign --scheme ")).toEqual(sorted(lists.schemes));
      expect(candidates("hookctl replay --status ")).toEqual(sorted(lists.statuses));
      expect(candidates("hookctl log --endpoint ")).toEqual(["billing"]);
    });

    shellTest(shell, "endpoint arguments offer endpoint names, from --db when given", () => {
      expect(candidates("hookctl send ")).toEqual(["billing"]);
      expect(candidates("hookctl endpoint show ")).toEqual(["billing"]);
      expect(candidates(`hookctl --db ${otherDb} endpoint rm `)).toEqual(["orders"]);
    });

    shellTest(shell, "subcommands and flags per command", () => {
      expect(candidates("hookctl dlq ")).toEqual(sorted(["list", "show", "requeue", "purge"]));
      expect(candidates("hookctl log received ")).toEqual(["show"]);
      const flags = candidates("hookctl send --fi");
      // zsh matches the prefix itself, so its function offers all of send's flags.
      if (shell === "zsh")
        expect(flags).toEqual(expect.arrayContaining(["--fixture", "--secret-file", "--help"]));
      else expect(flags).toEqual(["--fixture"]);
      expect(flags).not.toContain("--raw");
    });

    shellTest(shell, "path flags and file arguments offer files; other values nothing", () => {
      const folder = shell === "fish" ? "payloads/" : "payloads";
      const files = shell === "zsh" ? ["<files>"] : expect.arrayContaining(["order.json", folder]);
      expect(candidates("hookctl send --secret-file ")).toEqual(files);
      expect(candidates("hookctl --db ")).toEqual(files);
      expect(candidates("hookctl send --ca ")).toEqual(files);
      expect(candidates("hookctl verify --headers-file ")).toEqual(files);
      expect(candidates("hookctl sign ")).toEqual(files);
      expect(candidates("hookctl send billing ")).toEqual(files);
      expect(candidates("hookctl send --timeout ")).toEqual([]);
    });
  }

  // Tab pressed in an interactive zsh: zsh's own compadd matches prefixes and inserts the result.
  const pressTab = (setup: string, lines: string[]) => {
    const driver = `zmodload zsh/zpty
zpty shell 'zsh -f -i'
zpty -w shell "PS1='> '; $1"
zpty -w shell '_show() { local m=DONE; print -rn -- "<$m>$BUFFER</$m>"; BUFFER=""; }; zle -N _show; bindkey "^T" _show'
shift
for line in "$@"; do
  zpty -w -n shell "$line"$'\\t\\C-t'
  zpty -r -m shell out '*</DONE>'
  out=\${out##*<DONE>}
  print -r -- "\${out%</DONE>*}"
done
zpty -d shell`;
    return run("zsh", ["-f", "-c", driver, "zsh", setup, ...lines]);
  };
  const typed = [
    "hookctl send --fi",
    "hookctl dlq req",
    "hookctl send --fixture pi",
    "hookctl endpoint show bi",
  ];
  const completed = [
    "hookctl send --fixture ",
    "hookctl dlq requeue ",
    "hookctl send --fixture ping ",
    "hookctl endpoint show billing ",
  ];

  shellTest("zsh", "Tab in an interactive zsh, the script on $fpath", () => {
    const functions = join(dir, "functions");
    mkdirSync(functions, { recursive: true });
    writeFileSync(join(functions, "_hookctl"), readFileSync(script.zsh, "utf8"));
    const setup = `fpath=(${functions} $fpath); autoload -Uz compinit; compinit -u -D`;
    expect(pressTab(setup, typed)).toEqual(completed);
  });

  shellTest("zsh", "Tab in an interactive zsh, the script eval'd after compinit", () => {
    const setup = `autoload -Uz compinit; compinit -u -D; eval "$(hookctl completion zsh)"`;
    expect(pressTab(setup, typed)).toEqual(completed);
  });
});
