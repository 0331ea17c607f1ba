import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/context.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

describe("--ready-file that cannot be written", () => {
  for (const command of [["serve"], ["listen"], ["relay"]]) {
    it(`${command[0]}: refused in one line, exit 2, before anything starts or is announced`, async () => {
      const missing = join(tempDir(), "no-such-dir", "url");
      const result = await runCli(["--db", tempDb(), ...command, "--port", "0", "--ready-file", missing]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `hookctl: cannot write the ready file ${missing} (ENOENT) — check --ready-file's directory\n`,
      );
      expect(result.stdout).toBe("");
    });
  }
});
