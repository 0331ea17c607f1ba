import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseHttpUrl } from "../../src/cli/urls.js";
import { binPath } from "../helpers/bin.js";
import { runCli } from "../helpers/context.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

async function oneLine(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const run = await runCli(argv, { env });
  expect(run.code).toBe(2);
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describe("inputs that used to be read as something else", () => {
  it("a URL with no host is refused, not read as host 'path'", async () => {
    const db = tempDb();
    expect(await oneLine(["--db", db, "send", "http:///path", "--data", "{}"])).toMatch(
      /"http:\/\/\/path" has no host/,
    );
    expect(existsSync(db)).toBe(false);
    expect(await oneLine(["--db", db, "endpoint", "add", "a", "--url", "https:///x"])).toMatch(
      /--url .* has no host/,
    );
    expect(await oneLine(["--db", db, "replay", "dlv_x", "--to", "http:/x"])).toMatch(
      /--to .*(has no host|not a valid URL)/,
    );
    expect(await oneLine(["listen", "--forward-to", "http:///app", "--no-store"])).toMatch(
      /--forward-to .* has no host/,
    );
    expect(parseHttpUrl("http://127.0.0.1:3000/hooks")).toBe("http://127.0.0.1:3000/hooks");
  });

  it("a signing time past what a date can hold is refused (verify could never read it back)", async () => {
    expect(
      await oneLine([
        "sign",
        "--data",
        "x",
        "--secret",
        "k",
        "--scheme",
        "stripe",
        "--timestamp",
        "9007199254740991",
      ]),
    ).toMatch(/--timestamp/);
  });

  it("an empty --db is refused instead of silently meaning the default log", async () => {
    expect(await oneLine(["--db", "", "log"], { XDG_STATE_HOME: "/nonexistent-hookctl-test" })).toMatch(
      /--db is empty/,
    );
  });
});

describe("a directory as stdin", () => {
  it("is refused instead of signing or sending an empty body", async () => {
    const dir = openSync(tempDir(), "r");
    try {
      for (const args of [
        ["sign", "--secret", "s"],
        ["verify", "--batch", "--secret", "s"],
      ]) {
        const run = spawnSync(process.execPath, [binPath, ...args], {
          stdio: [dir, "pipe", "pipe"],
          encoding: "utf8",
        });
        expect(run.status, args.join(" ")).toBe(2);
        expect(run.stdout).toBe("");
        expect(run.stderr).toMatch(/^hookctl: stdin is a directory, not a payload/);
      }
    } finally {
      closeSync(dir);
    }
  });
});
