import type { IncomingHttpHeaders } from "node:http";

/** What a route handler sees of a request: already authenticated and routed. */
export interface ServeRequest {
  method: string;
  /** The path without its query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The route's `:name` segments, decoded. */
  params: Readonly<Record<string, string>>;
  /** The body's bytes, read at most once; a body over the limit is refused with 413. */
  body(): Promise<Buffer>;
}

/** A handler's answer: JSON (`json`), plain text (`text`), or nothing (204-style). */
export interface ServeResponse {
  status: number;
  headers?: Readonly<Record<string, string>>;
  json?: unknown;
  text?: string;
}

/**
 * An answer that is an error, rendered as `application/problem+json` (RFC 9457):
 * `{"type": "about:blank", "title", "status", "detail"}` with a one-line detail. Handlers throw
 * it; the server renders it. `headers` carries `Retry-After` and the like.
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = "Problem";
  }
}
