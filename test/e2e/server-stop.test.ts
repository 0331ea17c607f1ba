import { describe, expect, it } from "vitest";
import { spawnBin, waitFor } from "../helpers/bin.js";
import { tempDb } from "../helpers/tmp.js";

/** Servers stop gracefully on SIGTERM and exit 0, as service managers expect; Ctrl-C is 130. */
async function stopListen(signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  const child = spawnBin(["listen", "--port", "0"], { env: { HOOKCTL_DB: tempDb() } });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  await waitFor(() => (stderr.includes("listening on") ? true : undefined), 10_000, "listen to start");
  child.kill(signal);
  return { code: await closed, stderr };
}

describe("listen stops", () => {
  it("exits 0 after a graceful stop on SIGTERM, with its summary", async () => {
    const { code, stderr } = await stopListen("SIGTERM");
    expect(code).toBe(0);
    expect(stderr).toMatch(/summary: received 0/);
  });

  it("exits 130 when interrupted with SIGINT", async () => {
    const { code } = await stopListen("SIGINT");
    expect(code).toBe(130);
  });
});
