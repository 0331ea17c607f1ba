import { randomBytes } from "node:crypto";
import { createServer, type Server, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { UsageError } from "../errors.js";
import { idFactory } from "../store/ids.js";
import { handleRequest } from "./handler.js";
import { pooledRandomBytes } from "./random.js";
import { handleRelayed } from "./relayed.js";
import { ReceiverState, type ResolvedOptions } from "./state.js";
import type { Receiver, ReceiverDeps, ReceiverOptions, ReceiverSummary, RelayedReceiver } from "./types.js";

export const receiverDefaults = {
  host: "127.0.0.1",
  port: 4000,
  /** Any path: a sender's URL path is the app's, not the receiver's, to choose. */
  path: null as string | null,
  toleranceSeconds: 300,
  failStatus: 503,
  maxBodyBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConcurrent: 256,
  forwardTimeoutMs: 30_000,
  dedupeCapacity: 100_000,
} as const;

/**
 * Start a local webhook receiver on node:http. Resolves once it is listening.
 * @throws UsageError when the port is taken or the address cannot be used.
 */
export async function startReceiver(
  options: ReceiverOptions = {},
  deps: ReceiverDeps = {},
): Promise<Receiver> {
  const resolved = resolveOptions(options);
  const state = await createState(resolved, options, deps);
  const now = state.now;
  const server = createServer(
    {
      headersTimeout: resolved.headersTimeoutMs,
      requestTimeout: resolved.requestTimeoutMs,
      // Node checks those timeouts on this interval (30 s by default): keep it well below them.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, resolved.headersTimeoutMs / 4)),
    },
    (req, res) => {
      handleRequest(state, req, res).catch((error: unknown) => {
        // A bug in the handler must not take the receiver down; answer 500 if still possible.
        if (!res.headersSent) res.writeHead(500, { connection: "close" }).end(`${String(error)}\n`);
        else res.destroy();
      });
    },
  );
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = clientErrorStatus(error.code);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
    state.counts.refused += 1;
    state.events.emit("client-error", { at: now(), status, reason: clientErrorReason(error) });
  });
  const port = await listen(server, resolved.host, resolved.port);
  const displayHost = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
  return receiverOf(state, () => shutdown(server, state), {
    url: `http://${displayHost}:${port}${resolved.path ?? "/"}`,
    host: resolved.host,
    port,
  });
}

/**
 * The receiver without a port: only requests that come through a relay (`listen --from` without
 * --port). Same pipeline, options and events as startReceiver.
 */
export async function createRelayedReceiver(
  options: ReceiverOptions = {},
  deps: ReceiverDeps = {},
): Promise<RelayedReceiver> {
  const state = await createState(resolveOptions(options), options, deps);
  const shutdown = async () => {
    state.beginClosing();
    for (const end of [...state.delays]) end();
    await state.whenIdle();
    await state.capture?.flush();
    return state.summary();
  };
  return receiverOf(state, shutdown, {});
}

/** The receiver's API over its state; `shutdown` runs once, however often close is called. */
function receiverOf<T extends object>(
  state: ReceiverState,
  shutdown: () => Promise<ReceiverSummary>,
  extra: T,
): RelayedReceiver & T {
  let closed: Promise<ReceiverSummary> | null = null;
  return {
    ...extra,
    on(event, listener) {
      // EventEmitter's generic listener type does not narrow through K; the map above is the contract.
      state.events.on(event, listener as never);
      return this;
    },
    off(event, listener) {
      state.events.off(event, listener as never);
      return this;
    },
    summary: () => state.summary(),
    inFlight: () => state.active,
    handleRelayed: (input) => handleRelayed(state, input),
    close() {
      closed ??= shutdown();
      return closed;
    },
  };
}

async function createState(
  resolved: ResolvedOptions,
  options: ReceiverOptions,
  deps: ReceiverDeps,
): Promise<ReceiverState> {
  const now = deps.now ?? (() => Date.now());
  const state = new ReceiverState(
    resolved,
    now,
    deps.random ?? Math.random,
    deps.ids ??
      idFactory(
        now,
        pooledRandomBytes((size) => randomBytes(size)),
      ),
    deps.monotonic ?? (() => performance.now()),
    deps.capture,
    deps.dispatcher,
    options.dedupeCapacity ?? receiverDefaults.dedupeCapacity,
  );
  if (resolved.forwardTo !== null) state.forward = (await import("./forward.js")).forwardRequest;
  return state;
}

function resolveOptions(options: ReceiverOptions): ResolvedOptions {
  const limits = options.limits ?? {};
  const failure = { ...options.failure };
  const headersTimeout = limits.headersTimeoutMs ?? receiverDefaults.headersTimeoutMs;
  failure.status ??= receiverDefaults.failStatus;
  return {
    host: options.host ?? receiverDefaults.host,
    port: options.port ?? receiverDefaults.port,
    path: options.path ?? receiverDefaults.path,
    auth: {
      secrets: options.secrets ?? [],
      scheme: options.scheme ?? "auto",
      toleranceSeconds: options.toleranceSeconds ?? receiverDefaults.toleranceSeconds,
    },
    failure,
    forwardTo: options.forwardTo ?? null,
    maxBodyBytes: limits.maxBodyBytes ?? receiverDefaults.maxBodyBytes,
    headersTimeoutMs: headersTimeout,
    // node refuses a request timeout shorter than the headers timeout.
    requestTimeoutMs: Math.max(headersTimeout, limits.requestTimeoutMs ?? receiverDefaults.requestTimeoutMs),
    maxConcurrent: limits.maxConcurrent ?? receiverDefaults.maxConcurrent,
    forwardTimeoutMs: limits.forwardTimeoutMs ?? receiverDefaults.forwardTimeoutMs,
  };
}

/** Listen on `host:port`, resolving with the port (0 picks one); a UsageError names what is wrong. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(listenError(error, host, port));
    };
    const onListening = () => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === "EADDRINUSE") {
    return new UsageError(
      `port ${port} on ${host} is already in use`,
      "stop what is using it, pick another with --port, or use --port 0 for a free one",
      error,
    );
  }
  if (error.code === "EACCES") {
    return new UsageError(`not allowed to listen on port ${port}`, "use a port above 1023", error);
  }
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND" || error.code === "EAI_AGAIN") {
    return new UsageError(
      `cannot listen on host ${host} (${error.code})`,
      "use 127.0.0.1 or another local address",
      error,
    );
  }
  return new UsageError(`cannot listen on ${host}:${port}: ${error.message}`, undefined, error);
}

/** Stop accepting, end delays early, wait for requests in flight, then close every connection. */
async function shutdown(server: Server, state: ReceiverState) {
  state.beginClosing();
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  for (const end of [...state.delays]) end();
  await state.whenIdle();
  await state.capture?.flush();
  // Keep-alive sockets that were busy a moment ago are idle now; nothing else will arrive on them.
  server.closeAllConnections();
  await serverClosed;
  return state.summary();
}

function clientErrorStatus(code: string | undefined): number {
  if (code === "HPE_HEADER_OVERFLOW") return 431;
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return 408;
  return 400;
}

function clientErrorReason(error: NodeJS.ErrnoException): string {
  if (error.code === "HPE_HEADER_OVERFLOW") return "headers too large";
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return "client too slow to send the request";
  const reason = (error as { reason?: string }).reason;
  return `malformed request${reason ? `: ${reason}` : error.code ? ` (${error.code})` : ""}`;
}
