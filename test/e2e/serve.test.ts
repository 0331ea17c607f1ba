import { afterEach, describe, expect, it } from "vitest";
import { openDb } from "../../src/store/open.js";
import { runBin, waitFor } from "../helpers/bin.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { type Receiver, startReceiver } from "../helpers/receivers.js";
import { serveBin as startServe } from "../helpers/serve-bin.js";
import { tempDb } from "../helpers/tmp.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function serveBin(db: string, args: string[] = [], env: Record<string, string> = {}) {
  const serve = await startServe(db, args, { env });
  cleanup.push(serve.kill);
  return serve;
}

async function withEndpoint(receiver: Receiver, events: string[] | null = null): Promise<string> {
  const db = tempDb();
  const log = openDb(db);
  seedEndpoint(log, { id: "ep_r", name: "receiver", url: receiver.url, createdAt: Date.now(), events });
  log.close();
  return db;
}

describe("hookctl serve (built binary)", () => {
  it("accepts an event, delivers its exact bytes in the background, and exits 0 on SIGTERM", async () => {
    const receiver = await startReceiver({ status: 200 });
    cleanup.push(() => receiver.close());
    const db = await withEndpoint(receiver, ["order.*"]);
    const serve = await serveBin(db);
    await waitFor(() => (serve.output.stderr.includes(`serving on ${serve.url}`) ? true : undefined));
    const payload = '{ "id" : 42,\n  "note": "caf\\u00e9 ☕" }';
    const response = await fetch(`${serve.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "order-42" },
      body: `{"type": "order.created", "payload": ${payload}}`,
    });
    expect(response.status).toBe(202);
    const answer = (await response.json()) as { id: string; deliveries: { id: string; endpoint: string }[] };
    expect(answer.deliveries).toEqual([{ id: expect.stringMatching(/^dlv_/), endpoint: "receiver" }]);
    const [arrived] = await receiver.waitForRequests(1, 15_000);
    expect(arrived?.headers["x-webhook-delivery-id"]).toBe(answer.deliveries[0]?.id);
    expect(arrived?.headers["x-webhook-event"]).toBe("order.created");
    expect(arrived?.body.equals(Buffer.from(payload))).toBe(true);
    // The attempt's line on stdout, then a graceful stop.
    await waitFor(() => (serve.output.stdout.includes(answer.deliveries[0]?.id ?? "?") ? true : undefined));
    expect(await serve.stop("SIGTERM")).toBe(0);
    expect(serve.output.stderr).toMatch(/stopped: 1 event accepted/);
    const log = openDb(db, { readOnly: true });
    const status = log
      .prepare("SELECT status FROM deliveries WHERE id = ?")
      .pluck()
      .get(answer.deliveries[0]?.id);
    log.close();
    expect(status).toBe("succeeded");
  });

  it("prints one replay-event JSON object per attempt with --json, and exits 130 on SIGINT", async () => {
    const receiver = await startReceiver({ status: 200 });
    cleanup.push(() => receiver.close());
    const serve = await serveBin(await withEndpoint(receiver), ["--json"]);
    const response = await fetch(`${serve.url}/v1/events:batch`, {
      method: "POST",
      body: JSON.stringify({
        events: [
          { type: "a.b", payload: 1 },
          { type: "c.d", payload: [2] },
        ],
      }),
    });
    expect(response.status).toBe(202);
    await receiver.waitForRequests(2, 15_000);
    const attempts = () =>
      serve.output.stdout
        .split("\n")
        // The last piece may be a line still being written.
        .slice(0, -1)
        .map((line) => JSON.parse(line) as { type: string; result?: string })
        .filter((event) => event.type === "attempt");
    await waitFor(() => (attempts().length === 2 ? true : undefined));
    expect(attempts().map((event) => event.result)).toEqual(["succeeded", "succeeded"]);
    expect(await serve.stop("SIGINT")).toBe(130);
  });

  it("lets an attempt in flight finish on SIGTERM and records it before exiting 0", async () => {
    const receiver = await startReceiver({ status: 200, delayMs: 300 });
    cleanup.push(() => receiver.close());
    const db = await withEndpoint(receiver);
    const serve = await serveBin(db);
    const response = await fetch(`${serve.url}/v1/events`, {
      method: "POST",
      body: '{"type":"a","payload":1}',
    });
    const answer = (await response.json()) as { deliveries: { id: string }[] };
    await receiver.waitForRequests(1, 15_000);
    expect(await serve.stop("SIGTERM")).toBe(0);
    const log = openDb(db, { readOnly: true });
    const row = log
      .prepare("SELECT status, attempt_count AS attempts FROM deliveries WHERE id = ?")
      .get(answer.deliveries[0]?.id);
    log.close();
    expect(row).toEqual({ status: "succeeded", attempts: 1 });
  });

  it("asks for the token it was given, and refuses to bind beyond loopback without one", async () => {
    const serve = await serveBin(tempDb(), [], { HOOKCTL_SERVE_TOKEN: "tok-a tok-b" });
    const post = (headers: Record<string, string>) =>
      fetch(`${serve.url}/v1/events`, { method: "POST", headers, body: '{"type":"a","payload":1}' });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer tok-b" })).status).toBe(202);
    expect(await serve.stop("SIGTERM")).toBe(0);

    const refused = await runBin(["--db", tempDb(), "serve", "--host", "0.0.0.0", "--port", "0"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain("pass --token-file <path> or set HOOKCTL_SERVE_TOKEN");
    const badFlag = await runBin(["--db", tempDb(), "serve", "--durability", "sometimes"]);
    expect(badFlag.code).toBe(2);
  });
});
