import { performance } from "node:perf_hooks";
import type { Dispatcher } from "undici";
import type { ErrorClass } from "../store/types.js";
import { type Deadline, Deadlines } from "./deadlines.js";
import { Transport } from "./transport.js";
import type { AttemptFn, AttemptOutcome, AttemptRequest } from "./types.js";

/** Response bodies are kept for debugging, not archived: 64 KiB is plenty to read an error page. */
export const maxStoredResponseBytes = 64 * 1024;

export interface AttemptDeps {
  /**
   * The run's dispatchers, one per TLS setting (and through the proxy when one is set); the
   * caller closes it.
   */
  transport?: Pick<Transport, "dispatcherFor">;
  /**
   * One undici dispatcher for every request whatever its TLS setting (a MockAgent in tests);
   * with neither, a Transport of this attempt function's own. Not undici's global one: Node's
   * built-in fetch installs its own (older) undici's agent there, and that one does not speak
   * the handler API used here.
   */
  dispatcher?: Dispatcher;
  now: () => number;
  /** Monotonic milliseconds for durations; defaults to performance.now. */
  monotonic?: () => number;
}

/**
 * An AttemptFn over undici: one POST, bounded by the request's timeout end to end. It drives
 * undici's dispatcher directly with a small handler instead of `request()`, which wraps every
 * response in a stream and a promise chain: about 45 µs of CPU per loopback request instead of
 * 80, measured in the same loop.
 */
export function createAttempt(deps: AttemptDeps): AttemptFn {
  const monotonic = deps.monotonic ?? (() => performance.now());
  // Deadlines run on real time even when a test injects `monotonic` for durations.
  const deadlines = new Deadlines(() => performance.now());
  const targets = new TargetCache();
  const fixed = deps.dispatcher;
  const transport = deps.transport ?? (fixed ? { dispatcherFor: () => fixed } : new Transport());
  return (req: AttemptRequest, signal?: AbortSignal): Promise<AttemptOutcome> =>
    new Promise((resolve) => {
      const startedAt = deps.now();
      const t0 = monotonic();
      const deadline = deadlines.start(req.timeoutMs, signal);
      const exchange = new Exchange(deadline, (result) => {
        deadline.clear();
        const took = { startedAt, durationMs: monotonic() - t0, deadline, timeoutMs: req.timeoutMs };
        resolve(outcomeOf(result, took));
      });
      // Aborted before it began (the caller's signal): nothing is sent.
      if (exchange.over) return;
      try {
        const { origin, path } = targets.get(req.url);
        transport
          .dispatcherFor(req.tls ?? null)
          .dispatch({ origin, path, method: "POST", headers: req.headers, body: req.body }, exchange);
      } catch (error) {
        exchange.fail(error);
      }
    });
}

/** How one exchange ended: an answer (possibly cut at the size limit) or an error. */
type ExchangeResult =
  | { statusCode: number; headers: Record<string, string>; body: Uint8Array; truncated: boolean }
  | { error: unknown };

function outcomeOf(
  result: ExchangeResult,
  at: { startedAt: number; durationMs: number; deadline: Deadline; timeoutMs: number },
): AttemptOutcome {
  const { startedAt, durationMs } = at;
  if ("error" in result) {
    const timedOut = at.deadline.expired;
    return {
      startedAt,
      durationMs,
      statusCode: null,
      responseHeaders: null,
      responseBody: null,
      responseTruncated: false,
      errorClass: timedOut ? "timeout" : classifyError(result.error),
      errorMessage: timedOut ? `no complete response within ${at.timeoutMs} ms` : describeError(result.error),
    };
  }
  const ok = result.statusCode >= 200 && result.statusCode < 300;
  return {
    startedAt,
    durationMs,
    statusCode: result.statusCode,
    responseHeaders: result.headers,
    responseBody: result.body,
    responseTruncated: result.truncated,
    errorClass: ok ? null : "http",
    errorMessage: ok ? null : `HTTP ${result.statusCode}`,
  };
}

type IncomingHeaders = Record<string, string | string[] | undefined>;

const toError = (reason: unknown): Error => (reason instanceof Error ? reason : new Error(String(reason)));

/**
 * undici's handler for one request: keeps the status, the headers and at most
 * `maxStoredResponseBytes` of the body, and aborts the exchange when the deadline passes.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private statusCode = 0;
  private headers: Record<string, string> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private done = false;

  constructor(
    private readonly deadline: Deadline,
    private readonly settle: (result: ExchangeResult) => void,
  ) {
    const onAbort = () => {
      // Settled at once, even if undici has not started the request yet (still connecting).
      this.controller?.abort(toError(deadline.reason));
      this.fail(deadline.reason);
    };
    // The caller's signal may have aborted before the exchange began.
    if (deadline.aborted) onAbort();
    else deadline.addEventListener("abort", onAbort);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(toError(this.deadline.reason ?? new Error("attempt already over")));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHeaders,
  ): void {
    // 1xx interim responses are followed by the real one.
    if (statusCode < 200) return;
    this.statusCode = statusCode;
    this.headers = flattenHeaders(headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    if (this.size + chunk.length <= maxStoredResponseBytes) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      return;
    }
    this.chunks.push(chunk.subarray(0, maxStoredResponseBytes - this.size));
    this.size = maxStoredResponseBytes;
    // The connection is not reused then, which is the right trade for a receiver that answers
    // with megabytes.
    this.answer(true);
    controller.abort(new Error("response body over the stored limit"));
  }

  onResponseEnd(): void {
    this.answer(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  get over(): boolean {
    return this.done;
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.settle({ error });
  }

  private answer(truncated: boolean): void {
    if (this.done) return;
    this.done = true;
    const body = new Uint8Array(Buffer.concat(this.chunks, this.size));
    this.settle({ statusCode: this.statusCode, headers: this.headers, body, truncated });
  }
}

/** Origin and path of the last URL seen: a run sends thousands of requests to one URL. */
class TargetCache {
  private url = "";
  private target = { origin: "", path: "" };

  get(url: string): { origin: string; path: string } {
    if (url !== this.url) {
      const parsed = new URL(url);
      this.target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      this.url = url;
    }
    return this.target;
  }
}

function flattenHeaders(headers: IncomingHeaders): Record<string, string> {
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
