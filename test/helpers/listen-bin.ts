import { join } from "node:path";
import { spawnReady } from "./bin.js";
import { tempDir } from "./tmp.js";

/**
 * `hookctl listen` from the built binary on 127.0.0.1:0, capturing into `db`: its URL once it is
 * ready, `stop` (SIGINT, resolves with the exit code) and `kill` for a test that failed midway.
 */
export async function listenBin(db: string, args: string[] = []) {
  const readyFile = join(tempDir(), "url");
  const { child, url, exited } = await spawnReady(
    ["--db", db, "listen", "--port", "0", "--ready-file", readyFile, ...args],
    readyFile,
    { what: "listen" },
  );
  const kill = () => {
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  const stop = () => {
    child.kill("SIGINT");
    return exited;
  };
  return { url, stop, kill };
}
