import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

const made: string[] = [];

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hookctl-test-"));
  made.push(dir);
  return dir;
}

/** A path for a delivery log in a fresh temp directory. */
export function tempDb(): string {
  return join(tempDir(), "hookctl.db");
}
