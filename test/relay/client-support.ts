import { createHash } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { afterEach } from "vitest";
import type { RelayedRequest } from "../../src/relay/protocol.js";
import type { Timers } from "../../src/relay/timers.js";

/** Timers a test moves by hand: nothing fires until `advance`. */
export class ManualTimers implements Timers {
  now = 0;
  #queue: { at: number; fn: () => void; id: number }[] = [];
  #next = 0;

  after(ms: number, fn: () => void): () => void {
    const id = this.#next++;
    this.#queue.push({ at: this.now + ms, fn, id });
    return () => {
      this.#queue = this.#queue.filter((entry) => entry.id !== id);
    };
  }

  /** Move the clock, firing what falls due, in order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.#queue
        .filter((entry) => entry.at <= until)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#queue = this.#queue.filter((entry) => entry !== due);
      this.now = due.at;
      due.fn();
    }
    this.now = until;
  }

  /** Delays of the timers waiting now. */
  pending(): number[] {
    return this.#queue.map((entry) => entry.at - this.now);
  }
}

export interface StreamConnection {
  after: string | null;
  authorization: string | undefined;
  res: ServerResponse;
  closed: boolean;
}

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/**
 * A stand-in relay: records each stream connection (the test writes to it) and each ack.
 * `status` answers the stream with that status instead (401, 404, 503).
 */
export async function testRelay(options: { status?: number } = {}) {
  const connections: StreamConnection[] = [];
  const acks: number[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "POST" && url.pathname.endsWith("/ack")) {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        acks.push((JSON.parse(Buffer.concat(chunks).toString()) as { seq: number }).seq);
        res.writeHead(204).end();
      });
      return;
    }
    if (url.pathname !== "/_relay/v1/channels/test/stream") {
      res.writeHead(404).end("no such channel\n");
      return;
    }
    if (options.status) {
      res.writeHead(options.status).end("refused\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.flushHeaders();
    const connection: StreamConnection = {
      after: url.searchParams.get("after"),
      authorization: req.headers.authorization,
      res,
      closed: false,
    };
    res.on("close", () => {
      connection.closed = true;
    });
    connections.push(connection);
  });
  servers.push({
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const base = `http://127.0.0.1:${port}`;
  return { base, connections, acks, source: { base, channel: "test", url: `${base}/c/test` } };
}

/** One stored request as the relay would stream it; `sha256` overrides the true digest. */
export function relayed(seq: number, body: Buffer | string, sha256?: string): RelayedRequest {
  const bytes = Buffer.from(body);
  return {
    seq,
    channel: "test",
    method: "POST",
    path: "/hooks",
    query: "",
    headers: [{ name: "Content-Type", value: "application/json" }],
    bodyBase64: bytes.toString("base64"),
    sha256: sha256 ?? createHash("sha256").update(bytes).digest("hex"),
    receivedAt: new Date(1_700_000_000_000 + seq).toISOString(),
  };
}

/** The SSE frame of one request. */
export function frame(request: RelayedRequest): string {
  return `id: ${request.seq}\nevent: request\ndata: ${JSON.stringify(request)}\n\n`;
}
