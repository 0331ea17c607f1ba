import { performance } from "node:perf_hooks";
import { type Dispatcher, request } from "undici";
import type { ErrorClass } from "../store/types.js";
import { Deadlines } from "./deadlines.js";
import type { AttemptFn, AttemptOutcome, AttemptRequest } from "./types.js";

/** Response bodies are kept for debugging, not archived: 64 KiB is plenty to read an error page. */
export const maxStoredResponseBytes = 64 * 1024;

export interface AttemptDeps {
  /** undici dispatcher (Agent, Pool, MockAgent); undefined uses undici's global one. */
  dispatcher?: Dispatcher;
  now: () => number;
  /** Monotonic milliseconds for durations; defaults to performance.now. */
  monotonic?: () => number;
}

/** An AttemptFn over undici: one POST, bounded by the request's timeout end to end. */
export function createAttempt(deps: AttemptDeps): AttemptFn {
  const monotonic = deps.monotonic ?? (() => performance.now());
  // Deadlines run on real time even when a test injects `monotonic` for durations.
  const deadlines = new Deadlines(() => performance.now());
  return async (req: AttemptRequest, signal?: AbortSignal): Promise<AttemptOutcome> => {
    const startedAt = deps.now();
    const t0 = monotonic();
    const deadline = deadlines.start(req.timeoutMs, signal);
    try {
      const response = await request(req.url, {
        method: "POST",
        headers: req.headers,
        body: req.body,
        dispatcher: deps.dispatcher,
        // undici only calls add/removeEventListener and reads `aborted`/`reason` (DeadlineSignal).
        signal: deadline as unknown as AbortSignal,
      });
      const { bytes, truncated } = await readLimited(response.body, maxStoredResponseBytes);
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return {
        startedAt,
        durationMs: monotonic() - t0,
        statusCode: response.statusCode,
        responseHeaders: flattenHeaders(response.headers),
        responseBody: bytes,
        responseTruncated: truncated,
        errorClass: ok ? null : "http",
        errorMessage: ok ? null : `HTTP ${response.statusCode}`,
      };
    } catch (error) {
      const timedOut = deadline.expired;
      return {
        startedAt,
        durationMs: monotonic() - t0,
        statusCode: null,
        responseHeaders: null,
        responseBody: null,
        responseTruncated: false,
        errorClass: timedOut ? "timeout" : classifyError(error),
        errorMessage: timedOut ? `no complete response within ${req.timeoutMs} ms` : describeError(error),
      };
    } finally {
      deadline.clear();
    }
  };
}

/**
 * The response body, at most `limit` bytes. Events rather than `for await`: an async iterator
 * costs a promise per chunk, which showed at thousands of attempts a second.
 */
function readLimited(body: Dispatcher.ResponseData["body"], limit: number) {
  return new Promise<{ bytes: Uint8Array; truncated: boolean }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (truncated: boolean) => {
      body.off("data", onData);
      resolve({ bytes: new Uint8Array(Buffer.concat(chunks, size)), truncated });
    };
    const onData = (buffer: Buffer) => {
      if (size + buffer.length <= limit) {
        chunks.push(buffer);
        size += buffer.length;
        return;
      }
      chunks.push(buffer.subarray(0, limit - size));
      size = limit;
      // The connection is not reused then, which is the right trade for a receiver that answers
      // with megabytes.
      body.destroy();
      done(true);
    };
    body.on("data", onData);
    body.once("end", () => done(false));
    body.once("error", reject);
  });
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

const codeClasses: Record<string, ErrorClass> = {
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_NONAME: "dns",
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  UND_ERR_SOCKET: "reset",
  UND_ERR_CLOSED: "reset",
  ETIMEDOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
};

/** Map a network error (or its cause chain) to the classes the log records. */
export function classifyError(error: unknown): ErrorClass {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as NodeJS.ErrnoException).code ?? "";
    const known = codeClasses[code];
    if (known) return known;
    if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) return "tls";
  }
  return "reset";
}

function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as NodeJS.ErrnoException).code;
    parts.push(code && !current.message.includes(code) ? `${current.message} (${code})` : current.message);
  }
  return parts.join(": ") || String(error);
}
