import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnBin, waitFor } from "./bin.js";
import { tempDir } from "./tmp.js";

/**
 * `hookctl serve` from the built binary on 127.0.0.1:0 over the log `db`: its URL once ready,
 * its output so far, `stop(signal)` (resolves with the exit code) and `kill` (SIGKILL, for a
 * crash or a test that failed midway; pass it to the test's cleanup).
 */
export async function serveBin(
  db: string,
  args: string[] = [],
  options: { env?: Record<string, string>; cwd?: string } = {},
) {
  const readyFile = join(tempDir(), "url");
  const child = spawnBin(["--db", db, "serve", "--port", "0", "--ready-file", readyFile, ...args], options);
  const output = { stdout: "", stderr: "" };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output.stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output.stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const kill = () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    return exited;
  };
  try {
    const url = await waitFor(
      () => (existsSync(readyFile) ? readFileSync(readyFile, "utf8").trim() : undefined),
      15_000,
      `serve's ready file (stderr: ${output.stderr})`,
    );
    const stop = (signal: NodeJS.Signals) => {
      child.kill(signal);
      return exited;
    };
    return { url, output, stop, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
