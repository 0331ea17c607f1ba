import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createBatchedCapture } from "../../src/receiver/capture.js";
import { createCaptureThread } from "../../src/receiver/capture-thread.js";
import type { RelayedInput } from "../../src/receiver/relayed.js";
import { createRelayedReceiver, startReceiver } from "../../src/receiver/server.js";
import type { RelayedReceiver, RequestEvent } from "../../src/receiver/types.js";
import { openDb } from "../../src/store/open.js";
import { getReceived, listReceived } from "../../src/store/received.js";
import { readRelayCursor } from "../../src/store/relay-cursors.js";
import { waitFor } from "../helpers/bin.js";
import { tempDb } from "../helpers/tmp.js";
import { post, secret, signed } from "./support.js";

const source = "http://relay.test/c/laptop";
// NUL, invalid UTF-8, CR/LF: a re-encoding anywhere would change it.
const binary = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28, 0x7d]);
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function relayedReceiver(...args: Parameters<typeof createRelayedReceiver>) {
  const receiver = await createRelayedReceiver(...args);
  closers.push(() => receiver.close());
  const events: RequestEvent[] = [];
  receiver.on("request", (event) => events.push(event));
  return { receiver, events };
}

function input(
  headers: Record<string, string> | [string, string][],
  body: Buffer,
  extra: Partial<RelayedInput> = {},
) {
  return {
    method: "POST",
    path: "/hooks/stripe",
    query: "",
    headers: Array.isArray(headers) ? headers : Object.entries(headers),
    body,
    receivedAt: Date.now(),
    ...extra,
  } satisfies RelayedInput;
}

async function run(receiver: RelayedReceiver, one: RelayedInput) {
  const { done } = await receiver.handleRelayed(one);
  return done;
}

describe("a relayed request through the listen pipeline", () => {
  it("verifies at the relay's arrival time, so a backlog from an hour ago still verifies", async () => {
    const { receiver } = await relayedReceiver({ secrets: [secret] });
    const hourAgo = Date.now() - 3_600_000;
    const headers = signed("standard", binary, { id: "msg_1", timestamp: Math.floor(hourAgo / 1000) });
    const event = await run(receiver, input(headers, binary, { receivedAt: hourAgo }));
    expect(event).toMatchObject({ status: 200, verification: { status: "verified", scheme: "standard" } });
    expect(event.receivedAt).toBe(hourAgo);
    const forged = await run(
      receiver,
      input({ ...headers, "webhook-id": "msg_2" }, binary, { receivedAt: hourAgo }),
    );
    expect(forged.status).toBe(401);
    expect(forged.verification.status).toBe("invalid");
  });

  it("captures the original method, path, query, headers and bytes, with the cursor in the same commit", async () => {
    const db = openDb(tempDb());
    const { receiver, events } = await relayedReceiver({}, { capture: createBatchedCapture(db) });
    const headers: [string, string][] = [
      ["Host", "relay.example.com"],
      ["X-Repeat", "one"],
      ["Content-Length", String(binary.length)],
      ["x-repeat", "two"],
      ["Webhook-Id", "msg_cap"],
    ];
    const at = Date.now();
    const first = await receiver.handleRelayed(
      input(headers, binary, {
        method: "PUT",
        query: "a=1&b=%20",
        cursor: { source, seq: 7, previous: null, at },
      }),
    );
    const second = await receiver.handleRelayed(
      input(headers, binary, { cursor: { source, seq: 8, previous: 7, at } }),
    );
    await Promise.all([first.done, second.done]);
    expect(readRelayCursor(db, source)).toBe(8);
    const row = getReceived(db, events[0]?.id as string);
    expect(row).toMatchObject({ method: "PUT", path: "/hooks/stripe?a=1&b=%20", deliveryId: "msg_cap" });
    expect(row?.headers).toEqual(headers);
    expect(row?.body.equals(binary)).toBe(true);
    // Dedupe by delivery id across relayed requests.
    expect(events.map((event) => [event.status, event.duplicate])).toEqual([
      [200, false],
      [200, true],
    ]);
  });

  it("leaves the cursor where it was when an earlier capture failed (the capture thread, too)", async () => {
    const path = tempDb();
    const db = openDb(path);
    const capture = createCaptureThread(path);
    closers.push(() => capture.close());
    const { receiver } = await relayedReceiver({}, { capture });
    const at = Date.now();
    await run(receiver, input({}, binary, { cursor: { source, seq: 3, previous: null, at } }));
    expect(readRelayCursor(db, source)).toBe(3);
    // A write claiming to follow #5 while the cursor is at 3 (#4 and #5 failed): captured, cursor kept.
    await run(receiver, input({}, binary, { cursor: { source, seq: 6, previous: 5, at } }));
    expect(readRelayCursor(db, source)).toBe(3);
    await run(receiver, input({}, binary, { cursor: { source, seq: 4, previous: 3, at } }));
    expect(readRelayCursor(db, source)).toBe(4);
    expect(listReceived(db)).toHaveLength(3);
  });

  it("records and shows an injected failure, and still settles so the relay is acknowledged", async () => {
    const db = openDb(tempDb());
    const { receiver } = await relayedReceiver(
      { failure: { rate: 1, status: 500 } },
      { capture: createBatchedCapture(db) },
    );
    const event = await run(receiver, input({ "webhook-id": "msg_inj" }, binary));
    expect(event.status).toBe(500);
    expect(event.injected?.label).toBe("fail-rate 500");
    expect(listReceived(db)[0]).toMatchObject({ responseStatus: 500, injected: "fail-rate 500" });
    expect(receiver.summary()).toMatchObject({ received: 1, injectedFailures: 1, accepted: 0 });
  });

  it("applies --path: another path is refused (404) but its body is kept", async () => {
    const db = openDb(tempDb());
    const { receiver } = await relayedReceiver({ path: "/hooks" }, { capture: createBatchedCapture(db) });
    const event = await run(receiver, input({}, binary, { path: "/elsewhere" }));
    expect(event).toMatchObject({ status: 404, refused: "not found" });
    expect(getReceived(db, event.id as string)?.body.equals(binary)).toBe(true);
  });
});

describe("--forward-to for relayed and local requests alike", () => {
  const apps: Server[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => new Promise((resolve) => app.close(resolve))));
  });

  async function startApp() {
    const seen: { method: string; url: string; rawHeaders: string[]; body: Buffer }[] = [];
    let busy = 0;
    let overlapped = false;
    const app = createServer(async (req, res) => {
      busy += 1;
      overlapped ||= busy > 1;
      res.on("finish", () => {
        busy -= 1;
      });
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
      });
      res.writeHead(202).end("taken");
    });
    apps.push(app);
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const address = app.address();
    return {
      url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/app`,
      seen,
      get overlapped() {
        return overlapped;
      },
    };
  }

  // Repeats, mixed case, and the five headers HTTP rewrites, in the middle.
  const providerHeaders: [string, string][] = [
    ["Host", "relay.example.com"],
    ["User-Agent", "Stripe/1.0"],
    ["Connection", "keep-alive"],
    ["X-Repeat", "one"],
    ["Content-Length", String(binary.length)],
    ["Keep-Alive", "timeout=5"],
    ["x-repeat", "two"],
    ["Content-Type", "application/octet-stream"],
    ["X-Mixed-Case", "Keep  Me"],
  ];
  const expectedAtApp = [
    "User-Agent",
    "Stripe/1.0",
    "X-Repeat",
    "one",
    "x-repeat",
    "two",
    "Content-Type",
    "application/octet-stream",
    "X-Mixed-Case",
    "Keep  Me",
  ];

  /** The app's raw headers without the ones its own HTTP hop sets. */
  const passedOn = (raw: string[]) => {
    const kept: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      if (!["host", "connection", "content-length", "transfer-encoding", "keep-alive"].includes(name))
        kept.push(raw[i] as string, raw[i + 1] as string);
    }
    return kept;
  };

  it("passes on the same bytes and headers in order, minus the five HTTP rewrites, with the query", async () => {
    const app = await startApp();
    const { receiver, events } = await relayedReceiver({ forwardTo: app.url });
    const event = await run(receiver, input(providerHeaders, binary, { query: "x=1" }));
    expect(event.status).toBe(202);
    expect(events[0]?.forward?.status).toBe(202);
    expect(app.seen).toHaveLength(1);
    expect(app.seen[0]?.url).toBe("/app?x=1");
    expect(app.seen[0]?.body.equals(binary)).toBe(true);
    expect(passedOn(app.seen[0]?.rawHeaders ?? [])).toEqual(expectedAtApp);
    // The capture keeps the originals (Host, Connection, Content-Length included).
    expect(event.headers).toEqual(providerHeaders);
  });

  it("hands relayed requests to the app one by one in relay order, even when taken at once", async () => {
    const app = await startApp();
    const { receiver, events } = await relayedReceiver({ secrets: [secret], forwardTo: app.url });
    const bodies = ["one", "two", "three", "four"].map((text) => Buffer.from(text));
    const handled = bodies.map((body, i) => {
      const headers = signed("standard", body, { id: `msg_${i}` });
      // The second is forged: it is not forwarded, and must not let the third overtake the first.
      if (i === 1) headers["webhook-signature"] = "v1,AAAA";
      return receiver.handleRelayed(input(headers, body));
    });
    await Promise.all(handled.map((one) => one.done));
    expect(app.seen.map((one) => one.body.toString())).toEqual(["one", "three", "four"]);
    expect(app.overlapped).toBe(false);
    expect(events.map((event) => event.status)).toEqual([202, 401, 202, 202]);
  });

  it("when stopping, gives up on requests the app has not answered: not captured, fetched again next time", async () => {
    let arrived = false;
    const hung = createServer((req) => {
      req.resume();
      arrived = true;
    });
    apps.push(hung);
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    const address = hung.address();
    const db = openDb(tempDb());
    const { receiver } = await relayedReceiver(
      { forwardTo: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/` },
      { capture: createBatchedCapture(db) },
    );
    const handled = ["a", "b", "c"].map((text) => receiver.handleRelayed(input({}, Buffer.from(text))));
    const outcomes = Promise.allSettled(handled.map((one) => one.done));
    await waitFor(() => (arrived ? true : undefined), 10_000, "the first forward");
    await receiver.close();
    expect((await outcomes).map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(listReceived(db)).toHaveLength(0);
    hung.closeAllConnections();
  });

  it("a local request takes the same path to the app", async () => {
    const app = await startApp();
    const receiver = await startReceiver({ port: 0, forwardTo: app.url });
    closers.push(() => receiver.close());
    const reply = await post(`${receiver.url}?x=1`, binary, {
      "User-Agent": "Stripe/1.0",
      "X-Mixed-Case": "Keep  Me",
    });
    expect(reply.status).toBe(202);
    expect(app.seen[0]?.body.equals(binary)).toBe(true);
    expect(passedOn(app.seen[0]?.rawHeaders ?? [])).toEqual([
      "User-Agent",
      "Stripe/1.0",
      "X-Mixed-Case",
      "Keep  Me",
    ]);
  });
});
