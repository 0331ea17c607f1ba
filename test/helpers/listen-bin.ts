import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnBin, waitFor } from "./bin.js";
import { tempDir } from "./tmp.js";

/**
 * `hookctl listen` from the built binary on 127.0.0.1:0, capturing into `db`: its URL once it is
 * ready, `stop` (SIGINT, resolves with the exit code) and `kill` for a test that failed midway.
 */
export async function listenBin(db: string, args: string[] = []) {
  const readyFile = join(tempDir(), "url");
  const child = spawnBin(["--db", db, "listen", "--port", "0", "--ready-file", readyFile, ...args]);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const kill = () => {
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  try {
    const url = await waitFor(
      () => (existsSync(readyFile) ? readFileSync(readyFile, "utf8").trim() : undefined),
      15_000,
      "listen's ready file",
    );
    const stop = () => {
      child.kill("SIGINT");
      return exited;
    };
    return { url, stop, kill };
  } catch (error) {
    kill();
    throw error;
  }
}
