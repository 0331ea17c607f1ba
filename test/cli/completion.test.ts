import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { commandNames } from "../../src/cli/program.js";
import { runCli } from "../helpers/context.js";

describe("hookctl completion", () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    it(`the ${shell} script names every command`, async () => {
      const result = await runCli(["completion", shell]);
      expect(result.code).toBe(0);
      for (const name of commandNames) expect(result.stdout).toMatch(new RegExp(`\\b${name}\\b`));
    });
  }

  it("rejects an unknown shell with exit 2 and one line", async () => {
    const result = await runCli(["completion", "tcsh"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/unknown shell "tcsh"/);
  });

  it("lists statuses for --status", async () => {
    const result = await runCli(["completion", "--list", "statuses"]);
    expect(result.stdout.split("\n")).toEqual(["pending", "in_flight", "succeeded", "dead", ""]);
  });

  it("lists no endpoints, silently, when the log does not exist", async () => {
    const result = await runCli(["--db", "/nonexistent/dir/hookctl.db", "completion", "--list", "endpoints"]);
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  it("completes subcommands in a real bash", async () => {
    const script = (await runCli(["completion", "bash"])).stdout;
    const complete = (words: string[]) =>
      execFileSync(
        "bash",
        [
          "-c",
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _hookctl; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: "utf8" },
      )
        .trim()
        .split("\n");
    expect(complete(["hookctl", "ve"])).toEqual(["verify"]);
    expect(complete(["hookctl", "dlq", ""])).toEqual(
      expect.arrayContaining(["list", "show", "requeue", "purge"]),
    );
    expect(complete(["hookctl", "--db", "x.db", "replay", "--dry"])).toEqual(["--dry-run"]);
  });
});
