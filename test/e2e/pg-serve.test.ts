import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/bin.js";
import { pgPassword, postgresForFile } from "../helpers/pg.js";
import { startReceiver } from "../helpers/receivers.js";
import { serveBin } from "../helpers/serve-bin.js";
import { tempDir } from "../helpers/tmp.js";

const pg = postgresForFile();

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Answer {
  id: string;
  duplicate: boolean;
  deliveries: { id: string; endpoint: string }[];
}

async function postEvent(
  base: string,
  body: unknown,
  key?: string,
): Promise<{ status: number; json: Answer }> {
  const response = await fetch(`${base}/v1/events`, {
    method: "POST",
    headers: key === undefined ? {} : { "idempotency-key": key },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Answer };
}

/** A fresh PostgreSQL log with one endpoint, `receiver`, subscribed to every type. */
async function logWithEndpoint(target: string) {
  const log = await pg.pool();
  await log.pool.query(
    "INSERT INTO endpoints (id, name, url, scheme, created_at) VALUES ('ep_r', 'receiver', $1, 'hookctl', $2)",
    [target, Date.now()],
  );
  return log;
}

describe("hookctl serve on PostgreSQL (built binary)", () => {
  it("runs two processes on one log: every event delivered exactly once, one event per key, exit 0 on SIGTERM", async () => {
    const receiver = await startReceiver({ status: 200 });
    cleanup.push(() => receiver.close());
    const { url, pool } = await logWithEndpoint(receiver.url);
    const one = await serveBin(url, ["--durability", "normal"]);
    cleanup.push(one.kill);
    const two = await serveBin(url, ["--json"]);
    cleanup.push(two.kill);
    const servers = [one, two];

    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        postEvent((servers[i % 2] as typeof one).url, { type: "n.made", payload: i }),
      ),
    );
    // The same key sent to both processes at once: one event, both told about it.
    const keyed = await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        Promise.all(
          servers.map(async (serve) => {
            for (;;) {
              const got = await postEvent(serve.url, { type: "k.made", payload: k }, `key-${k}`);
              if (got.status !== 409) return got;
            }
          }),
        ),
      ),
    );
    for (const answer of answers) expect(answer.status).toBe(202);
    for (const pair of keyed) {
      expect(pair.map((a) => a.status)).toEqual([202, 202]);
      expect(pair[0]?.json.id).toBe(pair[1]?.json.id);
      expect(pair.filter((a) => !a.json.duplicate)).toHaveLength(1);
    }
    const { rows: events } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
    expect(events[0]?.n).toBe(50);

    const expected = new Set(
      [...answers, ...keyed.map((pair) => pair[0] as (typeof answers)[number])].map(
        (a) => a.json.deliveries[0]?.id,
      ),
    );
    expect(expected.size).toBe(50);
    await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'",
        );
        return rows[0]?.n === 50 ? true : undefined;
      },
      30_000,
      "every delivery succeeded",
    );
    const arrived = receiver.requests.map((r) => r.headers["x-webhook-delivery-id"] as string);
    expect(arrived).toHaveLength(50);
    expect(new Set(arrived)).toEqual(expected);

    // Either process reads what the other wrote, with the same answer.
    const id = answers[0]?.json.deliveries[0]?.id as string;
    const [a, b] = await Promise.all(
      servers.map(async (s) => (await fetch(`${s.url}/v1/deliveries/${id}`)).json()),
    );
    expect(a).toEqual(b);
    expect(a).toMatchObject({ delivery: { id, status: "succeeded" } });
    const ready = await fetch(`${two.url}/readyz`);
    expect(ready.status).toBe(200);

    expect(await one.stop("SIGTERM")).toBe(0);
    expect(await two.stop("SIGTERM")).toBe(0);
    for (const serve of servers) {
      const text = `${serve.output.stdout}${serve.output.stderr}`;
      expect(text).toContain("postgres://postgres:***@127.0.0.1:");
      expect(text).not.toContain(`:${pgPassword}@`);
      expect(serve.output.stderr).toMatch(/stopped: \d+ events? accepted/);
    }
    expect(one.output.stderr).toContain("--durability applies to SQLite logs");
    expect(two.output.stdout).toContain('"type":"attempt"');
  }, 90_000);

  it("alerts each dead letter once with --on-dead, and a 410 makes a delivery dead at once", async () => {
    const receiver = await startReceiver({ status: 410 });
    cleanup.push(() => receiver.close());
    const { url, pool } = await logWithEndpoint(receiver.url);
    const dir = tempDir();
    const file = join(dir, "alerts.jsonl");
    const serve = await serveBin(url, ["--on-dead", "cat >> alerts.jsonl"], { cwd: dir });
    cleanup.push(serve.kill);
    const answers = await Promise.all(
      [1, 2, 3].map((n) => postEvent(serve.url, { type: "gone.made", payload: n })),
    );
    const lines = () =>
      existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(0, -1).filter(Boolean) : [];
    await waitFor(() => (lines().length >= 3 ? true : undefined), 30_000, "three alerts");
    expect(await serve.stop("SIGTERM")).toBe(0);
    const alerted = lines().map((line) => (JSON.parse(line) as { deliveryId: string }).deliveryId);
    expect(new Set(alerted)).toEqual(new Set(answers.map((a) => a.json.deliveries[0]?.id)));
    expect(alerted).toHaveLength(3);
    const { rows } = await pool.query<{ status: string }>("SELECT DISTINCT status FROM alerts");
    expect(rows).toEqual([{ status: "sent" }]);
  }, 60_000);
});
