import { describe, expect, it } from "vitest";
import { closest } from "../../src/cli/suggest.js";
import { runCli } from "../helpers/context.js";
import { tempDb } from "../helpers/tmp.js";

/** One line on stderr, nothing on stdout, exit 2. */
function expectOneLine(result: { code: number; stdout: string; stderr: string }, line: RegExp | string) {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.split("\n")).toHaveLength(2);
  if (typeof line === "string") expect(result.stderr).toBe(`${line}\n`);
  else expect(result.stderr).toMatch(line);
}

describe("a bare hookctl", () => {
  it("prints a short overview of the commands on stdout and exits 0 (as gh, cargo and kubectl do)", async () => {
    for (const argv of [[], ["--json"]]) {
      const result = await runCli(argv);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/^Usage: hookctl <command> \[options\]\n/);
      for (const name of ["sign", "verify", "send", "replay", "log", "dlq", "inspect", "completion"])
        expect(result.stdout).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
      // The overview, not the page: global options and exit codes are in --help.
      expect(result.stdout).not.toMatch(/--no-color|Exit codes/);
      expect(result.stdout.split("\n").length).toBeLessThan(25);
    }
  });
});

describe("command groups and unknown commands", () => {
  it("a group without a subcommand names its subcommands in one line, exit 2", async () => {
    expectOneLine(
      await runCli(["secret"]),
      "hookctl: secret needs a subcommand: generate — see hookctl secret --help",
    );
    expectOneLine(
      await runCli(["endpoint"]),
      "hookctl: endpoint needs a subcommand: add, list, show, set, rm, rotate-secret — see hookctl endpoint --help",
    );
    expectOneLine(await runCli(["completion"]), /^hookctl: completion needs a shell: bash, zsh or fish — /);
  });

  it("help for an unknown command is one line, with a did-you-mean when one is close", async () => {
    expectOneLine(await runCli(["help", "bogus"]), "hookctl: unknown command 'bogus' — see hookctl --help");
    expectOneLine(await runCli(["help", "sing"]), "hookctl: unknown command 'sing' — did you mean sign?");
    expectOneLine(
      await runCli(["dlq", "help", "bogus"]),
      "hookctl: unknown command 'bogus' — see hookctl dlq --help",
    );
  });

  it("an unknown subcommand is an unknown command, not too many arguments for the default one", async () => {
    const env = { HOOKCTL_DB: tempDb() };
    expectOneLine(
      await runCli(["dlq", "bogus"], { env }),
      "hookctl: unknown command 'bogus' — see hookctl dlq --help",
    );
    expectOneLine(
      await runCli(["dlq", "lst"], { env }),
      "hookctl: unknown command 'lst' — did you mean list?",
    );
    expectOneLine(
      await runCli(["dlq", "--event", "order.*", "bogus"], { env }),
      "hookctl: unknown command 'bogus' — see hookctl dlq --help",
    );
    expectOneLine(
      await runCli(["log", "shwo"], { env }),
      "hookctl: unknown command 'shwo' — did you mean show?",
    );
    expectOneLine(
      await runCli(["log", "received", "bogus"], { env }),
      "hookctl: unknown command 'bogus' — see hookctl log received --help",
    );
    expectOneLine(
      await runCli(["endpoint", "lsit"], { env }),
      "hookctl: unknown command 'lsit' — did you mean list?",
    );
    expectOneLine(
      await runCli(["secret", "generat"]),
      "hookctl: unknown command 'generat' — did you mean generate?",
    );
  });

  it("a stray word after a subcommand says which command did not expect it", async () => {
    expectOneLine(
      await runCli(["dlq", "list", "bogus"], { env: { HOOKCTL_DB: tempDb() } }),
      "hookctl: unexpected argument 'bogus' for 'dlq list' (expected none) — see hookctl dlq list --help",
    );
    expectOneLine(
      await runCli(["secret", "generate", "x"]),
      /^hookctl: unexpected argument 'x' for 'secret generate' \(expected none\) — /,
    );
  });

  it("what still works: help for a group, the default subcommand, a group's own listing", async () => {
    const env = { HOOKCTL_DB: tempDb() };
    for (const argv of [
      ["help", "dlq"],
      ["dlq", "help"],
      ["dlq", "--help"],
    ]) {
      const result = await runCli(argv, { env });
      expect(result.code, argv.join(" ")).toBe(0);
      expect(result.stdout, argv.join(" ")).toMatch(/Usage: hookctl dlq/);
    }
    expect((await runCli(["secret", "generate"])).code).toBe(0);
    await runCli(["endpoint", "add", "orders", "--url", "http://127.0.0.1:9/"], { env });
    for (const argv of [["dlq"], ["dlq", "list"], ["log"], ["log", "received"], ["endpoint", "list"]]) {
      const result = await runCli(argv, { env });
      expect(result.code, `${argv.join(" ")}: ${result.stderr}`).toBe(0);
    }
  });
});

describe("closest", () => {
  it("suggests within two edits, never a far or short name", () => {
    expect(closest("lst", ["list", "show"])).toBe("list");
    expect(closest("shwo", ["list", "show"])).toBe("show");
    expect(closest("rotate-secrte", ["rm", "rotate-secret"])).toBe("rotate-secret");
    expect(closest("bogus", ["list", "show", "requeue", "purge"])).toBeUndefined();
    expect(closest("x".repeat(100_000), ["list"])).toBeUndefined();
  });
});
