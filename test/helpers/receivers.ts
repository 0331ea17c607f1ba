import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * Loopback HTTP receivers for tests: node:http on 127.0.0.1:0 that answer as told and record
 * every request byte-exact. Stable API; other test files import it.
 */

/** One request exactly as it arrived. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** Lower-cased names, as node parses them. */
  headers: IncomingHttpHeaders;
  /** Names and values in arrival order and casing: [name, value, name, value, …]. */
  rawHeaders: string[];
  body: Buffer;
  /** Wall-clock ms when the body had fully arrived. */
  receivedAt: number;
  /** The client's port: equal ports mean a reused (keep-alive) connection. */
  remotePort: number;
}

/** How to answer one request. */
export interface Reply {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before answering (a slow receiver). */
  delayMs?: number;
  /** Drop the connection with a TCP reset instead of answering. */
  reset?: boolean;
}

/** Decides the reply; `index` counts requests from 0. May be async (e.g. to look at a database). */
export type Responder = (request: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface Receiver {
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  requests: RecordedRequest[];
  /** Resolves once at least `n` requests have arrived (rejects after `timeoutMs`). */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** The most requests being handled at once. */
  maxInFlight(): number;
  /** Stop listening and drop every open connection (pending delays included). */
  close(): Promise<void>;
}

/** A receiver that answers every request with `reply`, or as `responder` decides. */
export async function startReceiver(answer: Responder | Reply = {}): Promise<Receiver> {
  const responder: Responder = typeof answer === "function" ? answer : () => answer;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on("close", () => inFlight--);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const request: RecordedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
        remotePort: req.socket.remotePort ?? 0,
      };
      const index = requests.push(request) - 1;
      for (const waiter of waiters.filter((w) => requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const reply = await responder(request, index);
      const send = () => {
        if (reply.reset) {
          const socket = req.socket as Socket & { resetAndDestroy?: () => void };
          if (socket.resetAndDestroy) socket.resetAndDestroy();
          else socket.destroy();
          return;
        }
        res.writeHead(reply.status ?? 200, reply.headers);
        res.end(reply.body);
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, reply.delayMs);
        timers.add(timer);
      } else send();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    requests,
    maxInFlight: () => maxInFlight,
    waitForRequests(n, timeoutMs = 10_000) {
      if (requests.length >= n) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${requests.length} of ${n} requests`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(requests);
          },
        });
      });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers 200 with a small body. */
export const okReceiver = (): Promise<Receiver> => startReceiver({ status: 200, body: "ok" });

/** Answers every request with `status` (e.g. 500, 503, 410). */
export const statusReceiver = (status: number, headers?: Record<string, string>): Promise<Receiver> =>
  startReceiver({ status, headers, body: `status ${status}` });

/** Answers 200 after `delayMs`. */
export const slowReceiver = (delayMs: number): Promise<Receiver> =>
  startReceiver({ status: 200, delayMs, body: "slow ok" });

/** Resets the connection once the request has arrived. */
export const resetReceiver = (): Promise<Receiver> => startReceiver({ reset: true });

/** Answers 200 with `bytes` bytes of body (e.g. more than the 64 KiB hookctl keeps). */
export const largeBodyReceiver = (bytes: number, status = 200): Promise<Receiver> =>
  startReceiver({ status, body: Buffer.alloc(bytes, "x") });

/** Answers the n-th request with `replies[n]` (a status or a Reply); the last one repeats. */
export const sequenceReceiver = (replies: readonly (number | Reply)[]): Promise<Receiver> =>
  startReceiver((_request, index) => {
    const reply = replies[Math.min(index, replies.length - 1)] ?? 200;
    return typeof reply === "number" ? { status: reply } : reply;
  });

/** A URL on loopback where nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hooks`;
}
