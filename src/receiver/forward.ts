import { performance } from "node:perf_hooks";
import { type Dispatcher, request } from "undici";
import type { ForwardResult } from "./types.js";

/**
 * Hop-by-hop and framing headers belong to one connection, not to the message (HTTP rewrites
 * them, and undici refuses most of them); the rest go through untouched, in order.
 */
const hopByHop = new Set([
  "connection",
  "content-length",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "host",
]);

/** The request to pass on, from the local port or from a relay. */
export interface ForwardInput {
  method: string;
  /** The request target as received: path and query (only the query is carried over). */
  target: string;
  /** Header pairs in arrival order and case, repeats kept. */
  headers: readonly (readonly [string, string])[];
  body: Buffer;
}

export interface ForwardOutcome {
  result: ForwardResult;
  /** What to answer the sender with: the app's response, or 502/504 with a one-line reason. */
  status: number;
  headers: [string, string][];
  body: Buffer;
}

/**
 * Relay the exact body bytes and headers to the app and bring back its status, headers and
 * body. Nothing is parsed or re-serialized on the way in either direction.
 */
export async function forwardRequest(
  target: string,
  input: ForwardInput,
  options: {
    dispatcher?: Dispatcher;
    timeoutMs: number;
    monotonic?: () => number;
    /** Gives up on the app at once (a relayed request when the listener stops). */
    signal?: AbortSignal;
  },
): Promise<ForwardOutcome> {
  const monotonic = options.monotonic ?? (() => performance.now());
  const t0 = monotonic();
  const url = withQuery(target, input.target);
  const headers: string[] = [];
  for (const [name, value] of input.headers) {
    if (!hopByHop.has(name.toLowerCase())) headers.push(name, value);
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(url, {
      method: input.method as Dispatcher.HttpMethod,
      headers,
      body: input.method === "GET" || input.method === "HEAD" ? undefined : input.body,
      dispatcher: options.dispatcher,
      signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    const responseHeaders: [string, string][] = [];
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || hopByHop.has(name)) continue;
      for (const one of Array.isArray(value) ? value : [value]) responseHeaders.push([name, one]);
    }
    const responseBody = Buffer.concat(chunks);
    return {
      result: {
        url,
        status: response.statusCode,
        durationMs: monotonic() - t0,
        error: null,
        headers: responseHeaders,
        body: responseBody,
      },
      status: response.statusCode,
      headers: responseHeaders,
      body: responseBody,
    };
  } catch (error) {
    const timedOut = timeout.aborted;
    const reason = timedOut ? `no answer within ${options.timeoutMs} ms` : describeNetworkError(error);
    const status = timedOut ? 504 : 502;
    return {
      result: {
        url,
        status: null,
        durationMs: monotonic() - t0,
        error: reason,
        headers: [],
        body: Buffer.alloc(0),
      },
      status,
      headers: [["content-type", "text/plain; charset=utf-8"]],
      body: Buffer.from(`hookctl listen: cannot reach ${url}: ${reason}\n`),
    };
  }
}

/** The target URL, with the incoming query string when the target has none of its own. */
function withQuery(target: string, incoming: string): string {
  const query = incoming.indexOf("?");
  if (query < 0) return target;
  const url = new URL(target);
  if (url.search !== "") return target;
  url.search = incoming.slice(query);
  return url.toString();
}

/** A network error in one line: the first system error (ECONNREFUSED) rather than undici's wrapper. */
export function describeNetworkError(error: unknown): string {
  let last = String(error);
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as NodeJS.ErrnoException).code ?? "";
    const message = current.message || code;
    last = code && !message.includes(code) ? `${message} (${code})` : message;
    // The first system error (ECONNREFUSED, ENOTFOUND) says more than undici's wrapper.
    if (code && !code.startsWith("UND_ERR")) return last;
  }
  return last;
}
