import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/bin.js";
import { manualCapture, post, secret, signed, startTestReceiver } from "./support.js";

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

const apps: Server[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => new Promise((resolve) => app.close(resolve))));
});

/** The "app under development": records exactly what it got and answers as told. */
async function startApp(
  answer: (req: IncomingMessage, body: Buffer) => { status: number; body: Buffer } | null,
) {
  const seen: Seen[] = [];
  const app = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    seen.push({ method: req.method ?? "", url: req.url ?? "", rawHeaders: req.rawHeaders, body });
    const reply = answer(req, body);
    if (!reply) return; // never answer
    res.setHeader("X-App-Header", "from-app");
    res.appendHeader("Set-Cookie", "a=1");
    res.appendHeader("Set-Cookie", "b=2");
    res.statusCode = reply.status;
    res.end(reply.body);
  });
  apps.push(app);
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  const address = app.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/hooks`, port, seen, app };
}

// Not valid UTF-8, includes NUL and CR/LF: any re-encoding would change it.
const binary = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28, 0x7d, 0x20, 0x20]);

describe("receiver --forward-to", () => {
  it("relays the exact bytes and headers and returns the app's status, headers and body", async () => {
    const app = await startApp(() => ({ status: 201, body: Buffer.from([0x01, 0x02, 0xff]) }));
    const { url, events, receiver } = await startTestReceiver({ secrets: [secret], forwardTo: app.url });
    const headers: Record<string, string> = {
      ...signed("github", binary),
      "X-Webhook-Delivery-ID": "dlv_f",
      "X-Mixed-Case": "Keep Me",
      "Content-Type": "application/octet-stream",
    };

    const reply = await post(`${url}?source=test`, binary, headers);

    expect(reply.status).toBe(201);
    expect(reply.body).toEqual(Buffer.from([0x01, 0x02, 0xff]));
    expect(reply.headers["x-app-header"]).toBe("from-app");
    expect(reply.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    const got = app.seen[0] as Seen;
    expect(got.body.equals(binary)).toBe(true);
    expect(got.url).toBe("/hooks?source=test");
    expect(got.rawHeaders).toEqual(
      expect.arrayContaining(["X-Mixed-Case", "Keep Me", "X-Hub-Signature-256"]),
    );
    const signature = got.rawHeaders[got.rawHeaders.indexOf("X-Hub-Signature-256") + 1];
    expect(signature).toBe(headers["X-Hub-Signature-256"]);
    expect(events[0]?.forward).toMatchObject({ status: 201, error: null });
    expect(events[0]?.body.equals(binary)).toBe(true);
    expect(receiver.summary()).toMatchObject({ forwarded: 1, accepted: 1 });
  });

  it("answers 502 with a clear line when the app is unreachable", async () => {
    const app = await startApp(() => ({ status: 200, body: Buffer.alloc(0) }));
    await new Promise((resolve) => app.app.close(resolve));
    apps.length = 0;
    const { url, events, receiver } = await startTestReceiver({ forwardTo: app.url });
    const reply = await post(url, "{}");
    expect(reply.status).toBe(502);
    expect(reply.body.toString()).toMatch(
      /^hookctl listen: cannot reach http:\/\/127\.0\.0\.1:\d+\/hooks: .*ECONNREFUSED/,
    );
    expect(events[0]?.forward?.error).toMatch(/ECONNREFUSED/);
    expect(receiver.summary()).toMatchObject({ forwardErrors: 1, accepted: 0 });
  });

  it("answers 504 when the app takes longer than the forward timeout", async () => {
    const app = await startApp(() => null);
    const { url } = await startTestReceiver({ forwardTo: app.url, limits: { forwardTimeoutMs: 200 } });
    const reply = await post(url, "{}");
    expect(reply.status).toBe(504);
    expect(reply.body.toString()).toContain("no answer within 200 ms");
  });

  it("an app failure is not an acceptance: the retry is forwarded again, not a duplicate", async () => {
    let calls = 0;
    const app = await startApp(() => ({ status: ++calls === 1 ? 500 : 200, body: Buffer.from("x") }));
    const { url, events } = await startTestReceiver({ forwardTo: app.url });
    const headers = { "X-Webhook-Delivery-ID": "dlv_app" };
    expect((await post(url, "{}", headers)).status).toBe(500);
    expect((await post(url, "{}", headers)).status).toBe(200);
    expect((await post(url, "{}", headers)).status).toBe(200);
    expect(events.map((event) => event.duplicate)).toEqual([false, false, true]);
    expect(app.seen).toHaveLength(2);
  });

  it("does not forward forged requests or injected failures", async () => {
    const app = await startApp(() => ({ status: 200, body: Buffer.alloc(0) }));
    const { url } = await startTestReceiver({ secrets: [secret], forwardTo: app.url, failure: { first: 1 } });
    const headers = signed("hookctl", "{}", { id: "dlv_g" });
    expect((await post(url, "{}", { ...headers, "X-Signature": "00" })).status).toBe(401);
    expect((await post(url, "{}", headers)).status).toBe(503);
    expect(app.seen).toHaveLength(0);
    expect((await post(url, "{}", headers)).status).toBe(200);
    expect(app.seen).toHaveLength(1);
  });

  it("an app's 2xx that could not be captured becomes a 503: the sender retries, the app may see it twice", async () => {
    const app = await startApp(() => ({ status: 200, body: Buffer.from("fine") }));
    const { capture, writes } = manualCapture();
    const { url, receiver } = await startTestReceiver({ forwardTo: app.url }, { capture });
    const headers = { "X-Webhook-Delivery-ID": "dlv_cap" };
    const first = post(url, "{}", headers);
    await waitFor(() => (writes.length === 1 ? true : undefined), 5_000, "the capture");
    writes[0]?.fail(new Error("the disk holding the delivery log is full"));
    const refused = await first;
    expect([refused.status, refused.headers["retry-after"], refused.headers["x-app-header"]]).toEqual([
      503,
      "5",
      undefined,
    ]);
    const retry = post(url, "{}", headers);
    await waitFor(() => (writes.length === 2 ? true : undefined), 5_000, "the retry's capture");
    writes[1]?.commit();
    expect((await retry).status).toBe(200);
    expect(app.seen).toHaveLength(2);
    expect(receiver.summary()).toMatchObject({ forwarded: 1, refused: 1, accepted: 1 });
  });
});
