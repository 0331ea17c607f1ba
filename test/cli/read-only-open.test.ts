import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { fakeTerminal } from "../helpers/terminal.js";
import { tempDir } from "../helpers/tmp.js";

describe("hookctl inspect on a missing log", () => {
  it("in a terminal: exit 2 naming the path, before drawing anything, and nothing created", async () => {
    const dir = tempDir();
    const path = join(dir, "missing", "typo.bd");
    const { ctx, stdout, stderr } = fakeTerminal(100, 30);
    const code = await run(["--db", path, "inspect"], ctx);
    await new Promise((resolve) => setImmediate(resolve));
    expect(code).toBe(2);
    expect(stdout()).toBe("");
    expect(stderr()).toBe(
      `hookctl: no delivery log at ${path} — check --db / HOOKCTL_DB, or create one with hookctl send or hookctl endpoint add\n`,
    );
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });
});
