import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runBin } from "../helpers/bin.js";

/**
 * The README's console examples that depend on nothing but their arguments (signing with a fixed
 * id and timestamp, verifying at a fixed --now, the default backoff table) are run with the built
 * binary and must print what the README shows, so the README cannot drift from the tool.
 */
interface Example {
  argv: string[];
  /** What it prints, as the README shows it (comments after two spaces and `#` dropped). */
  output: string;
  /** The README says the output is on stderr. */
  stderr: boolean;
  code: number;
}

const deterministic = new Set(["sign", "verify", "backoff"]);

/** Words of a shell command line: single quotes, double quotes without expansions, backslash-newline. */
function shellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) return undefined;
      const quoted = line.slice(i + 1, end);
      if (c === '"' && /[$`\\]/.test(quoted)) return undefined;
      word = (word ?? "") + quoted;
      i = end;
    } else if (c === " ") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if ("|&;<>()$`*?[]{}".includes(c)) {
      return undefined;
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

function examples(readme: string): Example[] {
  const found: Example[] = [];
  for (const block of readme.matchAll(/```console\n([\s\S]*?)```/g)) {
    const lines = (block[1] as string).split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]?.startsWith("$ hookctl ")) continue;
      let command = lines[i] as string;
      while (command.endsWith("\\"))
        command = `${command.slice(0, -1).trimEnd()} ${lines[++i]?.trim() ?? ""}`;
      const comment = /\s{2,}#\s*(.*)$/.exec(command)?.[1] ?? "";
      const words = shellWords(command.replace(/\s{2,}#.*$/, "").slice(2));
      const output: string[] = [];
      while (i + 1 < lines.length && lines[i + 1] !== "" && !lines[i + 1]?.startsWith("$ "))
        output.push(lines[++i] as string);
      const outputComment =
        output.map((line) => /\s{2,}#\s*(exit \d.*)$/.exec(line)?.[1]).find(Boolean) ?? "";
      const shown = output.map((line) => line.replace(/\s{2,}#\s*exit \d.*$/, "")).join("\n");
      if (!words || !deterministic.has(words[1] ?? "") || `${command}\n${shown}`.includes("…")) continue;
      const exit = /exit (\d+)/.exec(`${comment} ${outputComment}`);
      found.push({
        argv: words.slice(1),
        output: shown,
        stderr: /on stderr/.test(comment),
        code: exit ? Number(exit[1]) : 0,
      });
    }
  }
  return found;
}

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const cases = examples(readme);

describe("the README's examples print what the README shows (built binary)", () => {
  it("finds the signing, verifying and backoff examples", () => {
    expect(cases.map((c) => c.argv[0])).toEqual(expect.arrayContaining(["sign", "verify"]));
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(cases.map((c) => [c.argv.join(" ").slice(0, 80), c] as const))(
    "hookctl %s",
    async (_name, example) => {
      const result = await runBin(example.argv, { env: { NO_COLOR: "1" } });
      expect(result.code).toBe(example.code);
      expect((example.stderr ? result.stderr : result.stdout).trimEnd()).toBe(example.output.trimEnd());
    },
  );
});
