import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDb } from "../../src/store/open.js";
import { listReceived } from "../../src/store/received.js";
import { runBin, spawnBin, waitFor } from "../helpers/bin.js";
import { tempDir } from "../helpers/tmp.js";

describe("e2e: listen + send + replay", () => {
  it("listen --fail-first 2: every delivery ends succeeded and verified, with exactly 3 attempts", async () => {
    const dir = tempDir();
    const readyFile = join(dir, "url");
    const listenDb = join(dir, "listen.db");
    const sendDb = join(dir, "send.db");
    const listener = spawnBin([
      "--db",
      listenDb,
      "listen",
      "--port",
      "0",
      "--secret",
      "S",
      "--fail-first",
      "2",
      "--ready-file",
      readyFile,
    ]);
    const stderr: Buffer[] = [];
    listener.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    const exited = new Promise<number | null>((resolve) => listener.on("close", (code) => resolve(code)));
    try {
      const url = await waitFor(
        () => (existsSync(readyFile) ? readFileSync(readyFile, "utf8").trim() : undefined),
        15_000,
        "listen's ready file",
      );
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const policy = ["--initial", "100ms", "--max-delay", "500ms", "--retries", "3"];

      const send = await runBin([
        "--db",
        sendDb,
        "send",
        url,
        "--fixture",
        "order.created",
        "--secret",
        "S",
        "--count",
        "3",
        ...policy,
      ]);
      expect(send.code, send.stderr).toBe(1); // every first attempt got the injected 503
      const replay = await runBin(["--db", sendDb, "replay", ...policy], { timeoutMs: 30_000 });
      expect(replay.code, replay.stderr).toBe(0);

      const sender = openDb(sendDb);
      const deliveries = sender
        .prepare("SELECT id, status, attempt_count FROM deliveries ORDER BY id")
        .all() as { id: string; status: string; attempt_count: number }[];
      const attempts = sender
        .prepare("SELECT delivery_id, count(*) AS n FROM attempts GROUP BY delivery_id")
        .all() as { delivery_id: string; n: number }[];
      sender.close();
      expect(attempts.map((row) => row.n)).toEqual([3, 3, 3]);
      expect(deliveries).toHaveLength(3);
      for (const delivery of deliveries)
        expect(delivery).toMatchObject({ status: "succeeded", attempt_count: 3 });

      listener.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(Buffer.concat(stderr).toString()).toContain(
        "summary: received 9, verified 9, rejected 0, duplicates 0, injected failures 6 (3 deliveries accepted)",
      );
      const captured = openDb(listenDb);
      const rows = listReceived(captured, { limit: 100 }).reverse();
      captured.close();
      for (const delivery of deliveries) {
        const mine = rows.filter((row) => row.deliveryId === delivery.id);
        expect(mine.map((row) => [row.verification, row.responseStatus, row.eventType])).toEqual([
          ["verified", 503, "order.created"],
          ["verified", 503, "order.created"],
          ["verified", 200, "order.created"],
        ]);
      }
    } finally {
      if (listener.exitCode === null) listener.kill("SIGKILL");
    }
  });
});
