import { afterEach, describe, expect, it } from "vitest";
import { getDelivery } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { runBin, spawnBin, waitFor } from "../helpers/bin.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("replay survives being killed mid-flight", () => {
  it("SIGKILL during attempts, start again: every delivery succeeds, none lost, duplicates share the delivery id", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200, delayMs: 300 }));
    const path = tempDb();
    const db = openDb(path);
    const ids = seedDeliveries(db, { url: receiver.url, now: Date.now(), count: 16, timeoutMs: 1000 });

    const first = spawnBin(["replay", "--concurrency", "4"], { env: { HOOKCTL_DB: path } });
    await waitFor(
      () => (receiver && receiver.hits.length >= 6 ? true : undefined),
      15_000,
      "attempts in flight",
    );
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("close", resolve));
    const leftInFlight = ids.filter((id) => getDelivery(db, id)?.status === "in_flight");
    expect(leftInFlight.length).toBeGreaterThan(0);

    const second = await runBin(["replay", "--concurrency", "4"], {
      env: { HOOKCTL_DB: path },
      timeoutMs: 30_000,
    });
    expect(second.stderr).toMatch(/16|succeeded/);
    expect(second.code).toBe(0);

    for (const id of ids) expect(getDelivery(db, id)?.status).toBe("succeeded");
    const seen = new Set(receiver.hits.map((hit) => hit.deliveryId));
    expect([...seen].sort()).toEqual([...ids].sort());
    // Whatever arrived twice is the same delivery again: same id header, same bytes.
    for (const id of ids) {
      const copies = receiver.hits.filter((hit) => hit.deliveryId === id);
      expect(copies.length).toBeGreaterThanOrEqual(1);
      for (const copy of copies) expect(copy.body.equals(copies[0]?.body as Buffer)).toBe(true);
    }
    expect(receiver.hits.length).toBeGreaterThanOrEqual(ids.length);
    db.close();
  }, 45_000);
});

describe("replay --watch as a long-running process", () => {
  it("picks up deliveries another process adds within about a second, and exits 130 on SIGINT", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const path = tempDb();
    const db = openDb(path);
    const watcher = spawnBin(["replay", "--watch"], { env: { HOOKCTL_DB: path } });
    let stderr = "";
    watcher.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    let stdout = "";
    watcher.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    await waitFor(
      () => (stderr.includes("watching for new deliveries") ? true : undefined),
      10_000,
      "watching",
    );

    const addedAt = Date.now();
    const [id] = seedDeliveries(db, { url: receiver.url, now: addedAt });
    await waitFor(
      () => (getDelivery(db, id as string)?.status === "succeeded" ? true : undefined),
      10_000,
      "pickup",
    );
    expect((receiver.hits[0]?.receivedAt as number) - addedAt).toBeLessThan(2000);
    await waitFor(() => (stdout.includes(`${id} order.created #1 → 200`) ? true : undefined), 5000, "line");

    const exit = new Promise<number | null>((resolve) => watcher.once("close", (code) => resolve(code)));
    watcher.kill("SIGINT");
    expect(await exit).toBe(130);
    expect(stderr).toMatch(/interrupted: 1 succeeded, 0 dead, 0 pending/);
    db.close();
  }, 30_000);
});
