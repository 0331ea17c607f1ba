import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { classifyError, createAttempt, maxStoredResponseBytes } from "../../src/delivery/attempt.js";
import type { AttemptRequest } from "../../src/delivery/types.js";
import {
  largeBodyReceiver,
  okReceiver,
  type Receiver,
  refusedUrl,
  resetReceiver,
  slowReceiver,
  startReceiver,
  statusReceiver,
} from "../helpers/receivers.js";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const fixedNow = () => Date.UTC(2026, 0, 1);
const body = Buffer.from('{"type":"order.created","n":1}\n');

function request(url: string, overrides: Partial<AttemptRequest> = {}): AttemptRequest {
  return {
    url,
    headers: { "Content-Type": "application/json", "X-Test": "yes" },
    body,
    timeoutMs: 5000,
    ...overrides,
  };
}

describe("createAttempt over real loopback HTTP", () => {
  it("POSTs the exact bytes and headers, and records a 200 with its response", async () => {
    receiver = await startReceiver({ status: 200, headers: { "x-receiver": "r1" }, body: "thanks" });
    const outcome = await createAttempt({ now: fixedNow })(request(receiver.url));
    const [seen] = receiver.requests;
    expect(seen?.method).toBe("POST");
    expect(seen?.body.equals(body)).toBe(true);
    expect(seen?.headers["x-test"]).toBe("yes");
    expect(outcome).toMatchObject({
      startedAt: fixedNow(),
      statusCode: 200,
      errorClass: null,
      errorMessage: null,
      responseTruncated: false,
    });
    expect(outcome.responseHeaders?.["x-receiver"]).toBe("r1");
    expect(Buffer.from(outcome.responseBody ?? []).toString()).toBe("thanks");
    expect(outcome.durationMs).toBeGreaterThan(0);
  });

  it("classifies a 500 as an http error and keeps its body", async () => {
    receiver = await statusReceiver(500);
    const outcome = await createAttempt({ now: fixedNow })(request(receiver.url));
    expect(outcome).toMatchObject({ statusCode: 500, errorClass: "http", errorMessage: "HTTP 500" });
    expect(Buffer.from(outcome.responseBody ?? []).toString()).toBe("status 500");
  });

  it("a receiver slower than the timeout is a timeout, bounded by the timeout", async () => {
    receiver = await slowReceiver(5000);
    const t0 = performance.now();
    const outcome = await createAttempt({ now: fixedNow })(request(receiver.url, { timeoutMs: 150 }));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(outcome).toMatchObject({ statusCode: null, errorClass: "timeout" });
    expect(outcome.errorMessage).toContain("150 ms");
  });

  it("a body that trickles forever is cut at the timeout: the bound is end to end, not per chunk", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      // A byte every 20 ms never trips an idle-time body timeout; only a whole-exchange deadline stops it.
      const drip = setInterval(() => res.write("."), 20);
      res.on("close", () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const t0 = performance.now();
      const outcome = await createAttempt({ now: fixedNow })(
        request(`http://127.0.0.1:${port}/`, { timeoutMs: 300 }),
      );
      expect(performance.now() - t0).toBeLessThan(3000);
      expect(outcome).toMatchObject({
        errorClass: "timeout",
        errorMessage: "no complete response within 300 ms",
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a short timeout started after a long one still fires on time (one shared timer)", async () => {
    receiver = await slowReceiver(5000);
    const attempt = createAttempt({ now: fixedNow });
    const long = attempt(request(receiver.url, { timeoutMs: 1200 }));
    const t0 = performance.now();
    const short = await attempt(request(receiver.url, { timeoutMs: 100 }));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(short.errorMessage).toBe("no complete response within 100 ms");
    expect((await long).errorMessage).toBe("no complete response within 1200 ms");
  });

  it("a connection reset is classified as reset", async () => {
    receiver = await resetReceiver();
    const outcome = await createAttempt({ now: fixedNow })(request(receiver.url));
    expect(outcome).toMatchObject({ statusCode: null, errorClass: "reset" });
    expect(outcome.errorMessage).toBeTruthy();
  });

  it("a closed port is refused", async () => {
    const outcome = await createAttempt({ now: fixedNow })(request(await refusedUrl()));
    expect(outcome).toMatchObject({ statusCode: null, errorClass: "refused" });
    expect(outcome.errorMessage).toContain("ECONNREFUSED");
  });

  it("keeps at most 64 KiB of a large response body and says it was cut", async () => {
    receiver = await largeBodyReceiver(1024 * 1024);
    const outcome = await createAttempt({ now: fixedNow })(request(receiver.url));
    expect(outcome.statusCode).toBe(200);
    expect(outcome.responseBody?.length).toBe(maxStoredResponseBytes);
    expect(outcome.responseTruncated).toBe(true);
  });

  it("an abort from the caller is not reported as a timeout", async () => {
    receiver = await slowReceiver(5000);
    const controller = new AbortController();
    const pending = createAttempt({ now: fixedNow })(request(receiver.url), controller.signal);
    await receiver.waitForRequests(1);
    controller.abort();
    const outcome = await pending;
    expect(outcome.statusCode).toBeNull();
    expect(outcome.errorClass).not.toBe("timeout");
  });

  it("a caller's signal that aborted before the attempt began sends nothing", async () => {
    receiver = await okReceiver();
    const outcome = await createAttempt({ now: fixedNow })(request(receiver.url), AbortSignal.abort());
    expect(outcome).toMatchObject({ statusCode: null, errorClass: "reset" });
    expect(receiver.requests).toHaveLength(0);
  });

  it("never uses the process-wide dispatcher, which Node's own fetch may fill with an older undici", async () => {
    receiver = await okReceiver();
    const previous = getGlobalDispatcher();
    let used = 0;
    const legacyOnly = Object.assign(new Agent(), {
      dispatch: () => {
        used++;
        throw new Error("the global dispatcher was used");
      },
    });
    setGlobalDispatcher(legacyOnly);
    try {
      const outcome = await createAttempt({ now: fixedNow })(request(receiver.url));
      expect(outcome.statusCode).toBe(200);
      expect(used).toBe(0);
    } finally {
      setGlobalDispatcher(previous);
      await legacyOnly.close();
    }
  });

  it("uses an injected dispatcher (a keep-alive pool reuses one connection)", async () => {
    receiver = await okReceiver();
    const agent = new Agent({ connections: 1 });
    const attempt = createAttempt({ now: fixedNow, dispatcher: agent });
    const ports = new Set<string>();
    for (let i = 0; i < 3; i++) await attempt(request(receiver.url));
    for (const seen of receiver.requests) ports.add(String(seen.remotePort));
    expect(receiver.requests).toHaveLength(3);
    expect(ports.size).toBe(1);
    await agent.close();
  });
});

describe("classifyError", () => {
  const withCode = (code: string, cause?: Error) => Object.assign(new Error(code, { cause }), { code });
  it("walks the cause chain for a known code", () => {
    expect(classifyError(withCode("ENOTFOUND"))).toBe("dns");
    expect(classifyError(new Error("fetch failed", { cause: withCode("ECONNREFUSED") }))).toBe("refused");
    expect(classifyError(withCode("UND_ERR_HEADERS_TIMEOUT"))).toBe("timeout");
    expect(classifyError(withCode("ERR_TLS_CERT_ALTNAME_INVALID"))).toBe("tls");
    expect(classifyError(withCode("SELF_SIGNED_CERT_IN_CHAIN"))).toBe("tls");
    expect(classifyError(new Error("mystery"))).toBe("reset");
  });
});
