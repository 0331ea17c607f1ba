import { createServer } from "node:net";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { startReceiver } from "../../src/receiver/server.js";
import { post, rawExchange, startTestReceiver } from "./support.js";

describe("receiver limits and malformed requests", () => {
  it("refuses a declared Content-Length over --max-body with 413", async () => {
    const { url, events, receiver } = await startTestReceiver({ limits: { maxBodyBytes: 100 } });
    const reply = await post(url, "x".repeat(101));
    expect(reply.status).toBe(413);
    expect(reply.body.toString()).toContain("100-byte limit");
    expect(events[0]?.refused).toBe("too large");
    expect((await post(url, "x".repeat(100))).status).toBe(200);
    expect(receiver.summary()).toMatchObject({ refused: 1, received: 1 });
  });

  it("cuts off a chunked body as soon as it passes the limit", async () => {
    const { receiver } = await startTestReceiver({ limits: { maxBodyBytes: 1000 } });
    const chunk = "y".repeat(600);
    const reply = await rawExchange(
      receiver.port,
      `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(600).toString(16)}\r\n${chunk}\r\n${(600).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
  });

  it("answers 404 for other paths and serves its own path with a query string", async () => {
    const { url, events } = await startTestReceiver({ path: "/webhooks" });
    expect(url).toMatch(/\/webhooks$/);
    const wrong = await post(url.replace("/webhooks", "/other"), "{}");
    expect(wrong.status).toBe(404);
    expect(wrong.body.toString()).toContain("webhooks go to /webhooks");
    expect((await post(`${url}?a=1`, "{}")).status).toBe(200);
    expect(events.map((event) => event.path)).toEqual(["/other", "/webhooks?a=1"]);
  });

  it("answers garbage with 400 and keeps serving", async () => {
    const { receiver, url } = await startTestReceiver();
    const errors: number[] = [];
    receiver.on("client-error", (event) => errors.push(event.status ?? 0));
    expect(await rawExchange(receiver.port, "GARBAGE\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    expect(
      await rawExchange(receiver.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"),
    ).toMatch(/^HTTP\/1\.1 400 /);
    const huge = `POST / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(70_000)}\r\n\r\n`;
    expect(await rawExchange(receiver.port, huge)).toMatch(/^HTTP\/1\.1 431 /);
    expect(errors).toEqual([400, 400, 431]);
    expect((await post(url, "{}")).status).toBe(200);
    expect(receiver.summary().refused).toBe(3);
  });

  it("answers 408 to a client too slow to send its headers", async () => {
    const { receiver, url } = await startTestReceiver({
      limits: { headersTimeoutMs: 200, requestTimeoutMs: 400 },
    });
    const reply = await rawExchange(receiver.port, "POST / HTTP/1.1\r\nHost: x\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect((await post(url, "{}")).status).toBe(200);
  });

  it("survives a client that leaves halfway through the body", async () => {
    const { receiver, url, events } = await startTestReceiver();
    await rawExchange(receiver.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf", {
      endAfterWrite: true,
    });
    expect((await post(url, "{}")).status).toBe(200);
    expect(events.map((event) => [event.status, event.refused])).toEqual([
      [null, "client went away"],
      [200, null],
    ]);
  });

  it("answers 503 with Retry-After past the concurrency cap", async () => {
    const { url, receiver } = await startTestReceiver({
      failure: { delayMs: 5_000 },
      limits: { maxConcurrent: 1 },
    });
    const slow = post(url, "{}");
    await waitUntil(() => receiver.inFlight() === 1);
    const busy = await post(url, "{}");
    expect(busy.status).toBe(503);
    expect(busy.headers["retry-after"]).toBe("1");
    expect(busy.body.toString()).toContain("too many requests");
    await receiver.close();
    expect((await slow).status).toBe(200);
  });

  it("stops accepting on close and finishes what is in flight", async () => {
    const { url, receiver } = await startTestReceiver({ failure: { delayMs: 5_000 } });
    const inFlight = post(url, "{}");
    await waitUntil(() => receiver.inFlight() === 1);
    const summary = await receiver.close();
    expect((await inFlight).status).toBe(200);
    expect(summary.received).toBe(1);
    await expect(request(url, { method: "POST", body: "{}" })).rejects.toThrow(/ECONNREFUSED|connect/);
  });

  it("refuses a port in use with a usage error naming the port", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const attempt = startReceiver({ port });
      await expect(attempt).rejects.toThrow(UsageError);
      await expect(attempt).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
