import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { alert } from "../../src/contract/schema/alert.js";
import { alertHoldMs } from "../../src/delivery/alerts/runner.js";
import { mulberry32 } from "../../src/receiver/prng.js";
import { openDb } from "../../src/store/open.js";
import { runBin, spawnBin, waitFor } from "../helpers/bin.js";
import { type Receiver, startReceiver } from "../helpers/receivers.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await receiver?.close();
  receiver = undefined;
});

/** By the delivery id's last character: about a third each gone (410), busy (503) or fine (200). */
function answerFor(deliveryId: string): number {
  const code = deliveryId.charCodeAt(deliveryId.length - 1) % 3;
  return code === 0 ? 410 : code === 1 ? 503 : 200;
}

describe("dead-letter alerts across kill -9", () => {
  it("SIGKILL at random moments, then a clean run: every dead letter alerted at least once by its stable id, nothing else, nothing left pending", async () => {
    receiver = await startReceiver((request) => ({
      status: answerFor(String(request.headers["x-webhook-delivery-id"])),
      delayMs: 2,
    }));
    const path = tempDb();
    const db = openDb(path);
    const ids = seedDeliveries(db, {
      url: receiver.url,
      now: Date.now(),
      count: 300,
      timeoutMs: 1000,
      // A 503 is retried once, 50 ms later, then dead: deaths keep coming all run long.
      policy: { retries: 1, initialMs: 50, maxDelayMs: 50, jitter: 0 },
    });
    const dir = tempDir();
    const file = join(dir, "alerts.jsonl");
    const args = [
      "replay",
      "--concurrency",
      "8",
      "--lease-margin",
      "200ms",
      "--on-dead",
      "cat >> alerts.jsonl",
    ];
    const env = { HOOKCTL_DB: path };
    // The kill moments are pseudo-random but the same on every run.
    const random = mulberry32(20261130);
    const lines = () => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

    let kills = 0;
    for (let cycle = 0; cycle < 5; cycle++) {
      const child = spawnBin(args, { env, cwd: dir });
      children.push(child);
      const closed = new Promise((resolve) => child.once("close", resolve));
      const hitsBefore = receiver.requests.length;
      const wanted = hitsBefore + 10 + Math.floor(random() * 80);
      await waitFor(
        () =>
          receiver && (receiver.requests.length >= wanted || child.exitCode !== null) ? true : undefined,
        30_000,
        `${wanted} requests in cycle ${cycle}`,
      );
      if (child.exitCode === null) {
        child.kill("SIGKILL");
        kills++;
      }
      await closed;
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    // A killed run's claims hold its alerts from other runs for a few seconds (alertHoldMs):
    // the clean run starts once they have run out, as a later run would find them.
    await waitFor(
      () => {
        const held = db
          .prepare("SELECT COUNT(*) FROM alerts WHERE status = 'pending' AND next_attempt_at > ?")
          .pluck()
          .get(Date.now()) as number;
        return held === 0 ? true : undefined;
      },
      alertHoldMs * 4,
      "the killed runs' holds to run out",
    );

    const last = await runBin(args, { env, cwd: dir, timeoutMs: 60_000 });
    expect([0, 1], last.stderr).toContain(last.code);

    const statuses = new Map(
      (db.prepare("SELECT id, status FROM deliveries").all() as { id: string; status: string }[]).map(
        (row) => [row.id, row.status],
      ),
    );
    expect(new Set(statuses.values())).toEqual(new Set(["dead", "succeeded"]));
    const dead = ids.filter((id) => statuses.get(id) === "dead");
    expect(dead.length).toBeGreaterThan(100);

    const written = lines().map((line) => shaped(JSON.parse(line)));
    const writtenIds = new Set(written.map((a) => a.id));
    // Every dead letter has its alert, by the id the log gave that death.
    for (const id of dead)
      expect(writtenIds.has(`alr_${id.slice(4)}_${answerFor(id) === 410 ? 1 : 2}`)).toBe(true);
    // No alert for a delivery that is not dead, and no id the log did not queue.
    for (const a of written) expect(statuses.get(a.deliveryId)).toBe("dead");
    const queued = db.prepare("SELECT id, status FROM alerts").all() as { id: string; status: string }[];
    expect(new Set(queued.map((row) => row.id))).toEqual(writtenIds);
    expect(queued.filter((row) => row.status !== "sent")).toEqual([]);
    expect(queued).toHaveLength(dead.length);
    db.close();
  }, 120_000);
});

function shaped(value: unknown) {
  const parsed = alert.parse(value);
  expect(parsed.type).toBe("delivery.dead");
  return parsed;
}
