import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { closeGracefully } from "../receiver/graceful-close.js";
import { listen } from "../receiver/server.js";
import type { RelayNews, RelayStore } from "../store/ports/relay.js";
import { storeFault } from "../store/write-errors.js";
import { answer, RelayRefusal } from "./answer.js";
import { handleApi } from "./api.js";
import { type RelayDefaults, rateGate } from "./caps.js";
import { channelHub, groupCommitter } from "./commit.js";
import { handleIngress, type IngressEvent } from "./ingress.js";
import { heartbeatMs as defaultHeartbeatMs, ingressPrefix, relayApiPrefix } from "./protocol.js";

export interface RelayServerOptions {
  store: RelayStore;
  now: () => number;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM texts: HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  defaults: RelayDefaults;
  /** Between `: ping` comments on open streams (tests pass a small one). */
  heartbeatMs?: number;
  /** Stored requests a stream reads from the log at a time. */
  pageSize?: number;
  /**
   * Open streams also look for new requests this often: another relay process sharing the log
   * (PostgreSQL) stores requests this one is not told about, or told late. Absent: only this
   * relay's commits (and `news`).
   */
  pollMs?: number;
  /** Requests other relay processes sharing the log stored, as they commit (PostgreSQL). */
  news?: RelayNews;
  onIngress?: (event: IngressEvent) => void;
  onStream?: (event: { channel: string; after: number; open: boolean }) => void;
  /** An error that became a 500: for the operator's eyes. */
  onError?: (error: unknown) => void;
  /** How long a graceful stop waits for requests in progress (default 10 s). */
  stopGraceMs?: number;
}

export interface RelayServer {
  url: string;
  port: number;
  /** Open streams, over all channels. */
  streams(): number;
  /**
   * Stop accepting, end open streams cleanly, let requests in progress commit and be answered,
   * then close every connection.
   */
  close(): Promise<void>;
}

/**
 * The public relay on node:http (or node:https): providers' requests under `/c/<channel>`,
 * each committed to the log before its answer (on SQLite the caller sets synchronous=FULL, so a
 * 2xx survives a power loss); listeners' streams and acks under `/_relay/v1`.
 */
export async function startRelayServer(options: RelayServerOptions): Promise<RelayServer> {
  const { store } = options;
  const hub = channelHub();
  const committer = groupCommitter(store, () => options.defaults.maxStoredBytes, hub.notify);
  const gate = rateGate(options.now);
  const stopping = new AbortController();
  let active = 0;
  let idle: (() => void) | undefined;

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    active++;
    res.on("close", () => {
      active--;
      if (active === 0) idle?.();
    });
    if (stopping.signal.aborted) res.setHeader("Connection", "close");
    route(req, res).catch((error: unknown) => {
      // The log cannot take the request now (locked, full disk, database unreachable): a provider
      // retries a 503 with Retry-After, while a 500 may count against the endpoint.
      const fault = storeFault(error);
      if (res.headersSent) res.destroy();
      else if (fault)
        answer(res, 503, `not stored: ${fault.message}`, { "Retry-After": "5", Connection: "close" });
      else answer(res, 500, "internal error");
      options.onError?.(error);
    });
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    if (url.startsWith(ingressPrefix)) {
      await handleIngress(req, res, {
        store,
        now: options.now,
        defaults: () => options.defaults,
        takeRate: gate.take,
        committer,
        onEvent: options.onIngress,
      });
      return;
    }
    try {
      if (url.startsWith(`${relayApiPrefix}/`)) {
        await handleApi(req, res, {
          store,
          now: options.now,
          hub,
          pollMs: options.pollMs,
          heartbeatMs: options.heartbeatMs ?? defaultHeartbeatMs,
          pageSize: options.pageSize ?? 200,
          signal: stopping.signal,
          onStream: options.onStream,
        });
        return;
      }
      if (url === "/healthz" && (req.method === "GET" || req.method === "HEAD"))
        return answer(res, 200, "ok");
      throw new RelayRefusal(404, "not found: providers post to /c/<channel>");
    } catch (error) {
      if (!(error instanceof RelayRefusal)) throw error;
      if (!req.complete) res.setHeader("Connection", "close");
      answer(res, error.status, error.reason, error.headers);
    }
  }

  const server: Server = options.tls
    ? // https.Server is an http.Server in all that is used here (listen, close, connections).
      (createHttpsServer(
        { ...options.tls, headersTimeout: 10_000, requestTimeout: 60_000 },
        onRequest,
      ) as unknown as Server)
    : createHttpServer({ headersTimeout: 10_000, requestTimeout: 60_000 }, onRequest);
  const port = await listen(server, options.host, options.port);
  // Only once listening: a subscription holds a pooled connection that a failed start would
  // leave checked out, and the pool's end would wait for it forever.
  const stopNews = options.news?.((channel) => hub.notify([channel]));
  const displayHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  let closed: Promise<void> | undefined;
  return {
    url: `${options.tls ? "https" : "http"}://${displayHost}:${port}`,
    port,
    streams: hub.size,
    close() {
      closed ??= (async () => {
        const closing = closeGracefully(server, {
          graceMs: options.stopGraceMs ?? 10_000,
          whenIdle: () => (active > 0 ? new Promise<void>((resolve) => (idle = resolve)) : Promise.resolve()),
          drained: () => committer.drain(),
        });
        // Open streams end once the server stops accepting (they would keep it busy otherwise).
        stopping.abort();
        stopNews?.();
        await closing;
      })();
      return closed;
    },
  };
}
