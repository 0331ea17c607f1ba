import type { ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { claimAhead } from "../../src/delivery/engine/engine.js";
import { getDelivery } from "../../src/store/deliveries.js";
import { type Db, openDb } from "../../src/store/open.js";
import { runBin, spawnBin, waitFor } from "../helpers/bin.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

/** A loopback receiver that answers 200 after `delayMs` and counts hits per delivery id. */
async function countingReceiver(delayMs: number) {
  const hits: { id: string; body: Buffer }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      hits.push({ id: String(req.headers["x-webhook-delivery-id"]), body: Buffer.concat(chunks) });
      setTimeout(() => res.end("ok"), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits,
    /** Connections still open: a killed sender's are gone once this is 0 (its hits are all counted). */
    open: () => new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let receiver: Awaited<ReturnType<typeof countingReceiver>> | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await receiver?.close();
  receiver = undefined;
});

/** mulberry32: the kill moments are pseudo-random but the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function attemptRows(db: Db): number {
  return db.prepare("SELECT COUNT(*) FROM attempts").pluck().get() as number;
}

function inFlight(db: Db): Map<string, string> {
  const rows = db.prepare("SELECT id, lease_token FROM deliveries WHERE status = 'in_flight'").all() as {
    id: string;
    lease_token: string;
  }[];
  return new Map(rows.map((row) => [row.id, row.lease_token]));
}

const concurrency = 8;
/**
 * The most rows one replay can hold leased at once. The engine claims only while fewer than
 * its low-water mark are ready, at most `ahead - ready` of them (claimAhead: 128 at
 * concurrency 8), and the exchange that claims also commits every finished attempt; between
 * claims its held rows only start, finish and get committed. So right after any commit it holds
 * at most `ahead` ready + 8 running, and a kill (mid-transaction or not) leaves at most that.
 */
const maxHeld = claimAhead(concurrency) + concurrency;

describe("the delivery engine through the built binary", () => {
  it("survives SIGKILL at random moments: nothing lost, re-sends bounded by what the killed run held", async () => {
    receiver = await countingReceiver(2);
    const path = tempDb();
    const db = openDb(path);
    const ids = seedDeliveries(db, { url: receiver.url, now: Date.now(), count: 3000, timeoutMs: 1000 });
    const seeded = new Set(ids);
    const body = Buffer.from(JSON.stringify({ order: 42 }));
    const args = ["replay", "--concurrency", String(concurrency), "--lease-margin", "200ms"];
    const env = { HOOKCTL_DB: path };
    const random = prng(20261130);
    let resent = 0;

    for (let cycle = 0; cycle < 6; cycle++) {
      const hitsBefore = receiver.hits.length;
      const rowsBefore = attemptRows(db);
      const heldBefore = inFlight(db);
      const child = spawnBin(args, { env });
      children.push(child);
      const closed = new Promise((resolve) => child.once("close", resolve));
      const wanted = hitsBefore + 20 + Math.floor(random() * 300);
      await waitFor(
        () => (receiver && receiver.hits.length >= wanted ? true : undefined),
        30_000,
        `${wanted} hits in cycle ${cycle}`,
      );
      expect(child.exitCode).toBe(null);
      child.kill("SIGKILL");
      await closed;
      await waitFor(
        async () => ((await receiver?.open()) === 0 ? true : undefined),
        10_000,
        "the killed run's connections to close",
      );

      // Rows the killed run left leased: in flight under a lease it took (not one seen before it).
      const held = [...inFlight(db)].filter(([id, token]) => heldBefore.get(id) !== token).length;
      // Hits this run made that it never recorded: each is a delivery it still held (it attempts a
      // leased row once, and a recorded 200 is never sent again), so they will be sent again.
      const unrecorded = receiver.hits.length - hitsBefore - (attemptRows(db) - rowsBefore);
      expect(unrecorded).toBeGreaterThanOrEqual(0);
      expect(unrecorded).toBeLessThanOrEqual(held);
      expect(held).toBeLessThanOrEqual(maxHeld);
      resent += unrecorded;
    }

    const last = await runBin(args, { env, timeoutMs: 60_000 });
    expect(last.code).toBe(0);
    const statuses = db.prepare("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status").all();
    expect(statuses).toEqual([{ status: "succeeded", n: ids.length }]);
    // Every delivery was recorded once (a 200 ends it); every other hit was an unrecorded one.
    const perDelivery = db
      .prepare("SELECT COUNT(*) FROM attempts GROUP BY delivery_id HAVING COUNT(*) != 1")
      .all();
    expect(perDelivery).toEqual([]);
    expect(attemptRows(db)).toBe(ids.length);
    expect(receiver.hits.length - ids.length).toBe(resent);
    expect(resent).toBeLessThanOrEqual(6 * maxHeld);
    expect(new Set(receiver.hits.map((hit) => hit.id)).size).toBe(ids.length);
    for (const hit of receiver.hits) {
      expect(seeded.has(hit.id)).toBe(true);
      expect(hit.body.equals(body)).toBe(true);
    }
    db.close();
  }, 90_000);

  it("two healthy replays on one log at once never send a delivery twice", async () => {
    receiver = await countingReceiver(2);
    const path = tempDb();
    const db = openDb(path);
    // Due a little later, so that both processes are up and waiting when the work falls due.
    const dueAt = Date.now() + 3000;
    const ids = seedDeliveries(db, { url: receiver.url, now: dueAt, count: 2000 });
    const env = { HOOKCTL_DB: path };
    const runs = [0, 1].map(() => {
      const child = spawnBin(["replay", "--concurrency", String(concurrency)], { env });
      children.push(child);
      const out = { stdout: "", stderr: "" };
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        out.stdout += chunk;
      });
      child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        out.stderr += chunk;
      });
      const code = new Promise<number | null>((resolve) => child.once("close", resolve));
      return { out, code };
    });
    await waitFor(
      () => (runs.every((run) => run.out.stderr.includes("waiting")) ? true : undefined),
      20_000,
      "both replays to wait for the due time",
    );
    const waitingBeforeDue = Date.now() < dueAt;

    expect(await Promise.all(runs.map((run) => run.code))).toEqual([0, 0]);
    expect(receiver.hits).toHaveLength(ids.length);
    expect(new Set(receiver.hits.map((hit) => hit.id)).size).toBe(ids.length);
    for (const id of ids) expect(getDelivery(db, id)).toMatchObject({ status: "succeeded", attemptCount: 1 });
    // Each attempt line names its delivery: the two runs' lines split the set between them.
    const sent = runs.map((run) => [...run.out.stdout.matchAll(/^(dlv_\S+) .* → 200/gm)].map((m) => m[1]));
    expect([...(sent[0] ?? []), ...(sent[1] ?? [])].sort()).toEqual([...ids].sort());
    // Both were waiting when the work fell due: both took part.
    if (waitingBeforeDue) for (const part of sent) expect(part.length).toBeGreaterThan(0);
    db.close();
  }, 60_000);
});
