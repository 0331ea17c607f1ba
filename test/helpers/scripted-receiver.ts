import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the receiver saw it. */
export interface Hit {
  deliveryId: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
  /** Real wall-clock time the request arrived. */
  receivedAt: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Hold the response this long (a slow receiver). */
  delayMs?: number;
}

/** Decide the answer to a request; `n` counts requests for the same delivery id, from 1. */
export type Script = (hit: Hit, n: number) => Reply;

export interface ScriptedReceiver {
  url: string;
  hits: Hit[];
  /** Requests per delivery id. */
  count(deliveryId: string): number;
  /** The most requests for one delivery id that were ever being answered at the same time. */
  maxOverlapPerDelivery(): number;
  /** The most requests in progress at once, overall. */
  maxConcurrent(): number;
  close(): Promise<void>;
}

/** A loopback HTTP receiver on 127.0.0.1:0 that answers as a script says and counts everything. */
export async function startScriptedReceiver(
  script: Script = () => ({ status: 200 }),
): Promise<ScriptedReceiver> {
  const hits: Hit[] = [];
  const perDelivery = new Map<string, number>();
  const active = new Map<string, number>();
  let overlap = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const deliveryId = String(req.headers["x-webhook-delivery-id"] ?? "");
      const hit: Hit = {
        deliveryId,
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
      };
      hits.push(hit);
      const n = (perDelivery.get(deliveryId) ?? 0) + 1;
      perDelivery.set(deliveryId, n);
      const now = (active.get(deliveryId) ?? 0) + 1;
      active.set(deliveryId, now);
      overlap = Math.max(overlap, now);
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const reply = script(hit, n);
      const send = () => {
        active.set(deliveryId, (active.get(deliveryId) ?? 1) - 1);
        concurrent--;
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? "");
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits,
    count: (id) => perDelivery.get(id) ?? 0,
    maxOverlapPerDelivery: () => overlap,
    maxConcurrent: () => maxConcurrent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
