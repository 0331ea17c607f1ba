import { once } from "node:events";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBin, spawnBin, waitFor } from "../helpers/bin.js";
import { tempDir } from "../helpers/tmp.js";

/** Split a suggested shell line into argv (the demo's suggestions hold no quoted words). */
function words(line: string): string[] {
  return line.trim().split(/\s+/);
}

describe("hookctl demo: next steps that work when typed (built binary)", () => {
  it("demo --keep leaves its receivers up; the suggested requeue && replay delivers; SIGTERM exits 0", async () => {
    const db = join(tempDir(), "demo.db");
    const demo = spawnBin(["--db", db, "demo", "--keep"]);
    let stdout = "";
    let stderr = "";
    demo.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    demo.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const exited = once(demo, "exit");
    try {
      await waitFor(
        () => (stderr.includes("receivers still running") ? true : undefined),
        90_000,
        "the summary",
      );
      expect(stdout).toContain("delivered first time: 2 · delivered after retries: 2");
      const suggestion = stdout.split("\n").find((line) => line.includes("hookctl dlq requeue"));
      expect(suggestion).toBeDefined();
      const [requeue, replay] = (suggestion as string).split("&&").map((part) => words(part).slice(1));
      expect(requeue).toContain("--to");

      const requeued = await runBin(requeue as string[]);
      expect(requeued.code, requeued.stderr).toBe(0);
      const replayed = await runBin(replay as string[]);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stderr).toMatch(/1 succeeded, 0 dead, 0 pending/);
      // The kept receiver said so too.
      await waitFor(
        () => (stdout.split("demo-shop").length > 3 ? true : undefined),
        10_000,
        "the receiver's line",
      );
    } finally {
      demo.kill("SIGTERM");
    }
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it("without --keep it suggests only commands that can work: demo --keep, or a receiver it starts", async () => {
    const db = join(tempDir(), "demo.db");
    const result = await runBin(["--db", db, "demo"], { timeoutMs: 90_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("hookctl demo --keep");
    const requeue = result.stdout.split("\n").find((line) => line.includes("hookctl dlq requeue"));
    expect(requeue).toMatch(/--to :4000 && hookctl replay/);
    expect(result.stdout).toMatch(/hookctl listen --db \S+ --port 4000/);
  });
});
