import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { afterEach } from "vitest";
import type { RelayedRequest } from "../../src/relay/protocol.js";
import { type RelayServer, type RelayServerOptions, startRelayServer } from "../../src/relay/server.js";
import { newChannelToken } from "../../src/relay/token.js";
import { type Db, openDb } from "../../src/store/open.js";
import { relayStoreOf } from "../../src/store/ports/relay.js";
import { insertChannel, type NewChannel } from "../../src/store/relay.js";
import { waitFor } from "../helpers/bin.js";
import { tempDb } from "../helpers/tmp.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

export interface TestRelay {
  server: RelayServer;
  db: Db;
  url: string;
  /** The injected clock: tests move it. */
  clock: { now: number };
  addChannel(name: string, caps?: Partial<NewChannel>): string;
}

/** A relay on 127.0.0.1:0 over a temp log, a hand-driven clock, heartbeats every 20 ms. */
export async function testRelay(options: Partial<RelayServerOptions> = {}): Promise<TestRelay> {
  const db = openDb(tempDb());
  const clock = { now: Date.parse("2026-01-01T00:00:00.000Z") };
  db.pragma("synchronous = FULL");
  const server = await startRelayServer({
    store: relayStoreOf({ backend: "sqlite", db, where: "test", close: async () => {} }),
    now: () => clock.now,
    host: "127.0.0.1",
    port: 0,
    defaults: { maxBodyBytes: 1024 * 1024, ratePerSecond: 1000, maxStoredBytes: 64 * 1024 * 1024 },
    heartbeatMs: 20,
    ...options,
  });
  cleanup.push(() => db.close());
  cleanup.push(() => server.close());
  let seed = 0;
  return {
    server,
    db,
    url: server.url,
    clock,
    addChannel(name, caps = {}) {
      seed++;
      const { token, sha256 } = newChannelToken((size) => new Uint8Array(size).fill(seed));
      insertChannel(db, { name, tokenSha256: sha256, createdAt: clock.now, ...caps });
      return token;
    },
  };
}

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export interface SseReader {
  status: number;
  headers: IncomingMessage["headers"];
  events: SseEvent[];
  /** `: ping` comments heard. */
  pings: number;
  ended: boolean;
  requests(): RelayedRequest[];
  /** Until `count` request events have arrived. */
  waitForRequests(count: number): Promise<RelayedRequest[]>;
  waitForEvent(name: string): Promise<SseEvent>;
  close(): void;
}

/** A small server-sent events reader: frames split on blank lines, comments counted. */
export function readStream(url: string, token: string | undefined, ca?: string): Promise<SseReader> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const send = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { headers, ca }, (res) => {
      let buffer = "";
      const reader: SseReader = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        pings: 0,
        ended: false,
        requests: () =>
          reader.events.filter((e) => e.event === "request").map((e) => JSON.parse(e.data) as RelayedRequest),
        waitForRequests: (count) =>
          waitFor(
            () => {
              const requests = reader.requests();
              return requests.length >= count ? requests : undefined;
            },
            10_000,
            `${count} requests on the stream`,
          ),
        waitForEvent: (name) =>
          waitFor(() => reader.events.find((e) => e.event === name), 10_000, `event ${name}`),
        close: () => req.destroy(),
      };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: "message", data: "" };
          for (const line of frame.split("\n")) {
            if (line.startsWith(":")) reader.pings += line === ": ping" ? 1 : 0;
            else if (line.startsWith("event: ")) event.event = line.slice(7);
            else if (line.startsWith("id: ")) event.id = line.slice(4);
            else if (line.startsWith("data: ")) event.data += line.slice(6);
          }
          if (!frame.split("\n").every((line) => line.startsWith(":"))) reader.events.push(event);
        }
      });
      res.on("end", () => {
        reader.ended = true;
      });
      res.on("error", () => {});
      resolve(reader);
    });
    req.on("error", reject);
    cleanup.push(() => req.destroy());
    req.end();
  });
}

/** Send bytes as they are over a new connection and resolve with the raw answer's status line and body. */
export function rawRequest(url: string, head: string, body: Buffer = Buffer.alloc(0)): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(Buffer.concat([Buffer.from(head.replaceAll("\n", "\r\n")), body]));
    });
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
      if (/\r\n\r\n[\s\S]*\n$/.test(answer)) socket.end();
    });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

export function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return fetch(url, { method: "POST", body, headers });
}
