import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readBody } from "../receiver/body.js";
import { closeGracefully } from "../receiver/graceful-close.js";
import { listen } from "../receiver/server.js";
import { storeFault } from "../store/write-errors.js";
import type { ServeApp } from "./app.js";
import { bearerCheck } from "./auth.js";
import { Problem, type ServeRequest, type ServeResponse } from "./http.js";
import { matchRoute } from "./match.js";
import { routes as allRoutes, type Route } from "./routes.js";

export interface ServeServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Bearer tokens any of which opens the routes that need one; none: no auth. */
  tokens: readonly string[];
  routes?: readonly Route[];
  /** An error that became a 500 (a bug, or a fault the log reported): for the operator's eyes. */
  onError?: (error: unknown) => void;
  /** How long a graceful stop waits for requests in progress before cutting them off (default 10 s). */
  stopGraceMs?: number;
}

export interface ServeServer {
  url: string;
  port: number;
  /**
   * Stop accepting, close idle keep-alive connections, let requests in progress finish (their
   * commits included), then close the rest. Resolves once the server is closed.
   */
  close(): Promise<void>;
}

/** The client went away before its body arrived: nobody is left to answer. */
class ClientGone extends Error {}

const problemType = "application/problem+json";

/**
 * The outbox's HTTP server on node:http: routes from the table, bearer auth, a body limit (413),
 * and every error as `application/problem+json`. A handler's own errors that are not a Problem
 * become a 500 whose detail says nothing of the cause (no stack, no message).
 */
export async function startServeServer(app: ServeApp, options: ServeServerOptions): Promise<ServeServer> {
  const table = options.routes ?? allRoutes;
  const authorized = options.tokens.length > 0 ? bearerCheck(options.tokens) : () => true;
  let active = 0;
  let closing = false;
  let idle: (() => void) | undefined;

  const server = createServer({ headersTimeout: 10_000, requestTimeout: 60_000 }, (req, res) => {
    active++;
    res.on("close", () => {
      active--;
      if (closing) server.closeIdleConnections();
      if (active === 0) idle?.();
    });
    if (closing) res.setHeader("Connection", "close");
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) writeProblem(res, new Problem(500, "Internal Server Error", "internal error"));
      else res.destroy();
      options.onError?.(error);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Split by hand: new URL() would read a path starting with "//" as a host.
    const target = req.url ?? "/";
    const mark = target.indexOf("?");
    const path = mark < 0 ? target : target.slice(0, mark);
    const match = matchRoute(table, req.method ?? "", path);
    const shown = path.slice(0, 200);
    try {
      if (match.kind === "none") throw new Problem(404, "Not Found", `no route for ${shown}`);
      if (match.kind === "method") {
        throw new Problem(405, "Method Not Allowed", `${shown} takes ${match.allow.join(", ")}`, {
          Allow: match.allow.join(", "),
        });
      }
      if (match.route.auth && !authorized(req.headers.authorization)) {
        throw new Problem(
          401,
          "Unauthorized",
          req.headers.authorization === undefined
            ? "a bearer token is required (Authorization: Bearer <token>)"
            : "the bearer token is not accepted",
          { "WWW-Authenticate": "Bearer" },
        );
      }
      let body: Promise<Buffer> | undefined;
      const request: ServeRequest = {
        method: req.method ?? "",
        path,
        query: new URLSearchParams(mark < 0 ? "" : target.slice(mark + 1)),
        headers: req.headers,
        params: match.params,
        body: () => {
          body ??= readLimited(req, app.maxBodyBytes);
          return body;
        },
      };
      writeResponse(res, await match.route.handler(request, app));
    } catch (error) {
      if (error instanceof ClientGone) {
        res.destroy();
        return;
      }
      if (!(error instanceof Problem)) {
        // The log failing a read (a PostgreSQL server gone, a lock held too long): 503, retry later.
        const fault = storeFault(error);
        if (!fault) throw error;
        writeProblem(res, new Problem(503, "Service Unavailable", fault.message, { "Retry-After": "1" }));
        return;
      }
      // A refused body may still be arriving: close rather than read it all to keep the connection.
      if (error.status === 413) res.setHeader("Connection", "close");
      writeProblem(res, error);
    }
  }

  const port = await listen(server, options.host, options.port);
  const displayHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${displayHost}:${port}`,
    port,
    close() {
      closed ??= (async () => {
        closing = true;
        await closeGracefully(server, {
          graceMs: options.stopGraceMs ?? 10_000,
          whenIdle: () => (active > 0 ? new Promise<void>((resolve) => (idle = resolve)) : Promise.resolve()),
        });
      })();
      return closed;
    },
  };
}

async function readLimited(req: IncomingMessage, max: number): Promise<Buffer> {
  const read = await readBody(req, max);
  if (read.kind === "too-large") {
    throw new Problem(413, "Content Too Large", `the body is over the ${max}-byte limit (serve --max-body)`);
  }
  if (read.kind === "aborted") throw new ClientGone("the client went away");
  return read.body;
}

function writeResponse(res: ServerResponse, response: ServeResponse): void {
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  let body = "";
  if (response.json !== undefined) {
    body = JSON.stringify(response.json);
    if (!res.hasHeader("Content-Type")) res.setHeader("Content-Type", "application/json");
  } else if (response.text !== undefined) {
    body = response.text;
    if (!res.hasHeader("Content-Type")) res.setHeader("Content-Type", "text/plain; charset=utf-8");
  }
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.writeHead(response.status);
  res.end(body);
}

function writeProblem(res: ServerResponse, problem: Problem): void {
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  const body = JSON.stringify({
    type: "about:blank",
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
  });
  res.setHeader("Content-Type", problemType);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.writeHead(problem.status);
  res.end(body);
}
