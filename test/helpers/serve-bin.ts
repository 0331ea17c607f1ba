import { join } from "node:path";
import { spawnReady } from "./bin.js";
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
  const { child, url, output, exited } = await spawnReady(
    ["--db", db, "serve", "--port", "0", "--ready-file", readyFile, ...args],
    readyFile,
    { ...options, what: "serve" },
  );
  const kill = () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    return exited;
  };
  const stop = (signal: NodeJS.Signals) => {
    child.kill(signal);
    return exited;
  };
  return { url, output, stop, kill };
}
