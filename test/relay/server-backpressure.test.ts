import { createServer, get, type IncomingMessage, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { channelHub } from "../../src/relay/commit.js";
import { streamChannel } from "../../src/relay/stream.js";
import type { RelayRequestRow } from "../../src/store/relay.js";
import { waitFor } from "../helpers/bin.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const total = 400;
const row = (seq: number): RelayRequestRow => ({
  channel: "c",
  seq,
  receivedAt: 0,
  method: "POST",
  path: "/",
  query: "",
  headers: [],
  body: Buffer.alloc(64 * 1024, seq % 256),
  sha256: "",
});

describe("relay streams under back-pressure", () => {
  it("never reads from the log while the listener's socket buffer is full, and still sends everything", async () => {
    const reads: { after: number; needDrain: boolean }[] = [];
    let response: ServerResponse | undefined;
    const stopping = new AbortController();
    const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
      response = res;
      void streamChannel(res, {
        channel: "c",
        after: 0,
        hub: channelHub(),
        heartbeatMs: 60_000,
        pageSize: 4,
        signal: stopping.signal,
        stillAllowed: async () => true,
        readPage: async (_channel, after, limit) => {
          reads.push({ after, needDrain: res.writableNeedDrain });
          return Array.from({ length: Math.max(0, Math.min(limit, total - after)) }, (_, i) =>
            row(after + i + 1),
          );
        },
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
    cleanup.push(() => stopping.abort());
    const { port } = server.address() as { port: number };
    const client = await new Promise<IncomingMessage>((resolve) => get(`http://127.0.0.1:${port}/`, resolve));
    client.pause();
    cleanup.push(() => client.destroy());
    // The listener reads nothing: the relay fills the socket, then waits for 'drain'.
    await waitFor(() => (response?.writableNeedDrain ? true : undefined), 10_000, "a full socket buffer");
    const readWhileBlocked = reads.length;
    expect(reads.at(-1)?.after ?? total).toBeLessThan(total);
    let text = "";
    client.setEncoding("utf8");
    client.on("data", (chunk: string) => {
      text += chunk;
    });
    client.resume();
    await waitFor(() => (text.includes("event: caught-up") ? true : undefined), 20_000, "caught-up");
    expect(reads.length).toBeGreaterThan(readWhileBlocked);
    expect(reads.filter((read) => read.needDrain)).toEqual([]);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });
});
