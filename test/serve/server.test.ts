import { request as httpRequest, type IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { ServeApp } from "../../src/serve/app.js";
import { Problem } from "../../src/serve/http.js";
import { ingestEvent } from "../../src/serve/routes/ingest.js";
import { routes as allRoutes, type Route } from "../../src/serve/routes.js";
import { type ServeServer, startServeServer } from "../../src/serve/server.js";
import { serveApp } from "../helpers/serve-app.js";

const servers: ServeServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(
  app: ServeApp,
  options: { tokens?: string[]; routes?: Route[]; onError?: (e: unknown) => void } = {},
) {
  const server = await startServeServer(app, { host: "127.0.0.1", port: 0, tokens: [], ...options });
  servers.push(server);
  return server;
}

const event = '{"type":"order.created","payload":{"id":1}}';

async function problemBody(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["detail", "status", "title", "type"]);
  expect(body.type).toBe("about:blank");
  expect(body.status).toBe(response.status);
  expect(String(body.detail)).not.toContain("\n");
  return body;
}

/**
 * The real route table with POST /v1/events reporting each request as its handler starts, so a
 * test knows the server has a request's headers without waiting a fixed time.
 */
function arrivals() {
  const waiting: (() => void)[] = [];
  let arrived = 0;
  let taken = 0;
  const routes: Route[] = allRoutes.map((route) =>
    route.pattern === "/v1/events" && route.method === "POST"
      ? {
          ...route,
          handler: (request, app) => {
            arrived++;
            waiting.shift()?.();
            return ingestEvent(request, app);
          },
        }
      : route,
  );
  return {
    routes,
    next: () => {
      taken++;
      return taken <= arrived ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
}

/** A POST whose body is sent in part and held open until `finish` is called. */
function heldPost(url: string, headers: Record<string, string>, first: string) {
  const req = httpRequest(`${url}/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
  });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
  });
  req.flushHeaders();
  req.write(first);
  return { answered, finish: (rest: string) => req.end(rest) };
}

describe("serve's HTTP server", () => {
  it("answers unknown paths 404 and known paths with another method 405, as problem+json", async () => {
    const { app } = serveApp();
    const server = await serve(app);
    const missing = await fetch(`${server.url}/v2/nothing?x=1`);
    expect(missing.status).toBe(404);
    expect((await problemBody(missing)).title).toBe("Not Found");
    const wrong = await fetch(`${server.url}/v1/events`, { method: "GET" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    await problemBody(wrong);
  });

  it("refuses a body over the limit with 413", async () => {
    const { app } = serveApp();
    app.maxBodyBytes = 64;
    const server = await serve(app);
    const response = await fetch(`${server.url}/v1/events`, {
      method: "POST",
      body: JSON.stringify({ type: "a", payload: "x".repeat(100) }),
    });
    expect(response.status).toBe(413);
    expect((await problemBody(response)).detail).toContain("64-byte limit");
  });

  it("answers an accepted event 202 as application/json with its Location, after the commit", async () => {
    const { app, db } = serveApp();
    const server = await serve(app);
    const response = await fetch(`${server.url}/v1/events`, { method: "POST", body: event });
    expect(response.status).toBe(202);
    expect(response.headers.get("content-type")).toBe("application/json");
    const answer = (await response.json()) as { id: string };
    expect(response.headers.get("location")).toBe(`/v1/events/${answer.id}`);
    expect(db.prepare("SELECT COUNT(*) FROM events WHERE id = ?").pluck().get(answer.id)).toBe(1);
  });

  it("turns a handler's unexpected error into a 500 that says nothing of it", async () => {
    const { app } = serveApp();
    const errors: unknown[] = [];
    const routes: Route[] = [
      {
        method: "GET",
        pattern: "/boom",
        auth: false,
        handler: () => {
          throw new Error("secret stack detail");
        },
      },
      {
        method: "GET",
        pattern: "/teapot/:name",
        auth: false,
        handler: (r) => {
          throw new Problem(418, "Teapot", `no ${r.params.name}`, { "X-Why": "tea" });
        },
      },
    ];
    const server = await serve(app, { routes, onError: (error) => errors.push(error) });
    const boom = await fetch(`${server.url}/boom`);
    expect(boom.status).toBe(500);
    const body = await problemBody(boom);
    expect(JSON.stringify(body)).not.toContain("secret");
    expect(errors).toHaveLength(1);
    const teapot = await fetch(`${server.url}/teapot/earl%20grey`);
    expect(teapot.status).toBe(418);
    expect(teapot.headers.get("x-why")).toBe("tea");
    expect((await problemBody(teapot)).detail).toBe("no earl grey");
  });

  it("asks for a bearer token when it has some: missing or wrong 401, any right one passes", async () => {
    const { app } = serveApp();
    const server = await serve(app, { tokens: ["tok-one", "a-much-longer-second-token"] });
    const post = (authorization?: string) =>
      fetch(`${server.url}/v1/events`, {
        method: "POST",
        body: event,
        headers: authorization ? { authorization } : {},
      });
    const missing = await post();
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    await problemBody(missing);
    for (const wrong of ["Bearer tok-on", "Bearer tok-one2", "Basic tok-one", "Bearer "]) {
      expect((await post(wrong)).status).toBe(401);
    }
    expect((await post("Bearer tok-one")).status).toBe(202);
    expect((await post("bearer a-much-longer-second-token")).status).toBe(202);
    // Health checks need no token.
    for (const path of ["/healthz", "/readyz"])
      expect((await fetch(`${server.url}${path}`)).status).not.toBe(401);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  });

  it("answers a twin of a request whose body is still arriving 409 with Retry-After", async () => {
    const { app } = serveApp();
    const entered = arrivals();
    const server = await serve(app, { routes: entered.routes });
    const held = heldPost(server.url, { "idempotency-key": "twin" }, event.slice(0, 10));
    await entered.next();
    const twin = await fetch(`${server.url}/v1/events`, {
      method: "POST",
      body: event,
      headers: { "idempotency-key": "twin" },
    });
    expect(twin.status).toBe(409);
    expect(twin.headers.get("retry-after")).toBe("1");
    await problemBody(twin);
    held.finish(event.slice(10));
    const first = await held.answered;
    expect(first.status).toBe(202);
    const again = await fetch(`${server.url}/v1/events`, {
      method: "POST",
      body: event,
      headers: { "idempotency-key": "twin" },
    });
    expect(await again.json()).toEqual({ ...JSON.parse(first.body), duplicate: true });
  });

  it("stops gracefully: no new connections, the request in progress committed and answered", async () => {
    const { app, db } = serveApp();
    const entered = arrivals();
    const server = await serve(app, { routes: entered.routes });
    const held = heldPost(server.url, {}, event.slice(0, 10));
    await entered.next();
    const closed = server.close();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    held.finish(event.slice(10));
    expect((await held.answered).status).toBe(202);
    await closed;
    expect(db.prepare("SELECT COUNT(*) FROM events").pluck().get()).toBe(1);
  });
});
