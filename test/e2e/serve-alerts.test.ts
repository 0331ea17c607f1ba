import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { alert } from "../../src/contract/schema/alert.js";
import { mulberry32 } from "../../src/receiver/prng.js";
import { openDb } from "../../src/store/open.js";
import { waitFor } from "../helpers/bin.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { type Receiver, startReceiver } from "../helpers/receivers.js";
import { serveBin } from "../helpers/serve-bin.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** By the delivery id's last character: about half gone (410, dead at once), half fine. */
function answerFor(deliveryId: string): number {
  return deliveryId.charCodeAt(deliveryId.length - 1) % 2 === 0 ? 410 : 200;
}

async function receiverAnswering(answer: (deliveryId: string) => number): Promise<Receiver> {
  const receiver = await startReceiver((request) => ({
    status: answer(String(request.headers["x-webhook-delivery-id"])),
  }));
  cleanup.push(() => receiver.close());
  return receiver;
}

function logWithEndpoint(url: string): string {
  const path = tempDb();
  const db = openDb(path);
  seedEndpoint(db, { id: "ep_r", name: "receiver", url, createdAt: Date.now() });
  db.close();
  return path;
}

/** The alerts written so far: a sink may be mid-line while we poll, so only ended lines count. */
function alertLines(file: string) {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .slice(0, -1)
    .filter(Boolean)
    .map((line) => alert.parse(JSON.parse(line)));
}

/** POST `count` events in one batch; the accepted event ids (none if serve went away mid-request). */
async function postBatch(url: string, count: number, tag: string): Promise<string[]> {
  const events = Array.from({ length: count }, (_, i) => ({ type: "order.created", payload: { tag, i } }));
  try {
    const response = await fetch(`${url}/v1/events:batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events }),
    });
    if (response.status !== 202) return [];
    const answer = (await response.json()) as { events: { id: string }[] };
    return answer.events.map((event) => event.id);
  } catch {
    return [];
  }
}

function readLog(path: string) {
  const db = openDb(path, { readOnly: true });
  try {
    return {
      deliveries: db.prepare("SELECT id, event_id AS eventId, status FROM deliveries").all() as {
        id: string;
        eventId: string;
        status: string;
      }[],
      events: new Set(db.prepare("SELECT id FROM events").pluck().all() as string[]),
      alerts: db.prepare("SELECT id, delivery_id AS deliveryId, status FROM alerts").all() as {
        id: string;
        deliveryId: string;
        status: string;
      }[],
    };
  } finally {
    db.close();
  }
}

describe("serve: dead-letter alerts", () => {
  it("alerts each dead letter once in a normal run, and a restart does not alert it again", async () => {
    const receiver = await receiverAnswering(() => 410);
    const path = logWithEndpoint(receiver.url);
    const dir = tempDir();
    const file = join(dir, "alerts.jsonl");
    const args = ["--on-dead", "cat >> alerts.jsonl"];
    const first = await serveBin(path, args, { cwd: dir });
    cleanup.push(first.kill);
    expect(await postBatch(first.url, 10, "first")).toHaveLength(10);
    await waitFor(() => (alertLines(file).length >= 10 ? true : undefined), 30_000, "ten alerts");
    expect(await first.stop("SIGTERM")).toBe(0);

    // One more death after a restart: its alert arrives, and none of the first ten again.
    const second = await serveBin(path, args, { cwd: dir });
    cleanup.push(second.kill);
    expect(await postBatch(second.url, 1, "second")).toHaveLength(1);
    await waitFor(() => (alertLines(file).length >= 11 ? true : undefined), 30_000, "the eleventh alert");
    expect(await second.stop("SIGTERM")).toBe(0);

    const written = alertLines(file);
    const log = readLog(path);
    expect(written).toHaveLength(11);
    expect(new Set(written.map((a) => a.id)).size).toBe(11);
    expect(new Set(written.map((a) => a.deliveryId))).toEqual(new Set(log.deliveries.map((d) => d.id)));
    for (const a of written) expect(a.delivery?.status).toBe("dead");
    expect(log.alerts.every((row) => row.status === "sent")).toBe(true);
  }, 90_000);

  it("kill -9 at random moments: nothing accepted is lost, every dead letter is alerted at least once, nothing else", async () => {
    const receiver = await receiverAnswering(answerFor);
    const path = logWithEndpoint(receiver.url);
    const dir = tempDir();
    const file = join(dir, "alerts.jsonl");
    const args = ["--on-dead", "cat >> alerts.jsonl", "--lease-margin", "200ms", "--concurrency", "4"];
    // The kill moments are pseudo-random but the same on every run.
    const random = mulberry32(20261130);
    const accepted: string[] = [];
    let kills = 0;
    for (let cycle = 0; cycle < 4; cycle++) {
      const serve = await serveBin(path, args, { cwd: dir });
      cleanup.push(serve.kill);
      const posting = (async () => {
        for (let batch = 0; batch < 5; batch++)
          accepted.push(...(await postBatch(serve.url, 20, `c${cycle}`)));
      })();
      const wanted = receiver.requests.length + 5 + Math.floor(random() * 60);
      await waitFor(
        () => (receiver.requests.length >= wanted ? true : undefined),
        30_000,
        `${wanted} requests in cycle ${cycle}`,
      );
      await serve.kill();
      kills++;
      await posting;
    }
    expect(kills).toBe(4);

    // A clean run finishes what the crashed ones left: every delivery settled, every alert sent.
    const last = await serveBin(path, args, { cwd: dir });
    cleanup.push(last.kill);
    await waitFor(
      () => {
        const log = readLog(path);
        const settled = log.deliveries.every((d) => d.status === "succeeded" || d.status === "dead");
        return settled && log.alerts.every((a) => a.status === "sent") ? true : undefined;
      },
      60_000,
      "every delivery settled and every alert sent",
    );
    expect(await last.stop("SIGTERM")).toBe(0);

    const log = readLog(path);
    expect(accepted.length).toBeGreaterThan(0);
    for (const id of accepted) expect(log.events.has(id)).toBe(true);
    const dead = log.deliveries.filter((d) => d.status === "dead").map((d) => d.id);
    expect(dead.length).toBeGreaterThan(0);
    const written = alertLines(file);
    const writtenIds = new Set(written.map((a) => a.id));
    // Each death's alert by the id the log gave it: first attempt (410 is dead at once).
    for (const id of dead) expect(writtenIds.has(`alr_${id.slice(4)}_1`)).toBe(true);
    const status = new Map(log.deliveries.map((d) => [d.id, d.status]));
    for (const a of written) expect(status.get(a.deliveryId)).toBe("dead");
    expect(new Set(log.alerts.map((a) => a.id))).toEqual(writtenIds);
  }, 180_000);
});
