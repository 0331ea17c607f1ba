import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/context.js";
import { tempDb } from "../helpers/tmp.js";

describe("the error boundary", () => {
  it("suggests the closest command for a typo, in one line, exit 2", async () => {
    const result = await runCli(["verfy"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("hookctl: unknown command 'verfy' — did you mean verify?\n");
  });

  it("suggests the closest flag", async () => {
    const result = await runCli(["sign", "--sceme", "github"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("hookctl: unknown option '--sceme' — did you mean --scheme?\n");
  });

  it("points at the command's own help when there is nothing to suggest", async () => {
    const result = await runCli(["backoff", "--retries", "many"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^hookctl: option '--retries <n>' argument 'many' is invalid\..* — see hookctl backoff --help\n$/,
    );
  });

  it("points a subcommand's mistake at that subcommand's help, past option values", async () => {
    const result = await runCli(["--db", tempDb(), "relay", "channel", "add", "x", "--rate", "0/s"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ — see hookctl relay channel add --help\n$/);
  });

  it("prints help and exits 0 for --help", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: hookctl/);
    expect(result.stdout).toMatch(
      /Exit codes: 0 success, 1 check or delivery failed, 2 usage or bad input, 130 interrupted/,
    );
  });

  it("names a bug as a bug, without a stack unless HOOKCTL_DEBUG=1", async () => {
    const bad = await runCli(["--db", "/dev/null/x.db", "log"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
