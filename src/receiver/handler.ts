import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "./authenticate.js";
import { readBody } from "./body.js";
import { decideInjection } from "./inject.js";
import { deliveryIdOf, eventTypeOf, headerPairs } from "./request-info.js";
import type { ReceiverState } from "./state.js";
import type { Injection, RequestEvent, Verification } from "./types.js";

const unverified: Verification = { status: "unverified", scheme: null, reason: null, secretIndex: null };
const textPlain = "text/plain; charset=utf-8";

/** What the handler decided to send back. */
interface Answer {
  status: number | null;
  headers: [string, string][];
  /** Our own answers are strings: node then sends headers and body in one write, not a writev. */
  body: Buffer | string;
}

/**
 * One request, start to finish: limits, path, signature, dedupe, injected failure or forward,
 * capture (queued, see createBatchedCapture), answer, then the `request` event.
 */
export async function handleRequest(state: ReceiverState, req: IncomingMessage, res: ServerResponse) {
  const t0 = state.monotonic();
  const receivedAt = state.now();
  const event: RequestEvent = {
    id: null,
    receivedAt,
    method: req.method ?? "GET",
    path: req.url ?? "/",
    headers: headerPairs(req.rawHeaders),
    body: Buffer.alloc(0),
    deliveryId: deliveryIdOf(req.headers),
    eventType: null,
    verification: unverified,
    duplicate: false,
    attempt: null,
    injected: null,
    status: null,
    refused: null,
    forward: null,
    durationMs: 0,
  };
  state.enter();
  try {
    const answer = await decide(state, req, event);
    event.status = answer.status;
    event.durationMs = state.monotonic() - t0;
    capture(state, event);
    send(state, req, res, answer);
    count(state, event);
    state.events.emit("request", event);
  } finally {
    state.leave();
  }
}

async function decide(state: ReceiverState, req: IncomingMessage, event: RequestEvent): Promise<Answer> {
  const { options } = state;
  if (state.active > options.maxConcurrent) {
    return refuse(event, 503, "busy", "too many requests at once; retry shortly", [["retry-after", "1"]]);
  }
  if (pathOf(event.path) !== options.path) {
    return refuse(event, 404, "not found", `nothing here; webhooks go to ${options.path}`);
  }
  const read = await readBody(req, options.maxBodyBytes);
  if (read.kind === "too-large") {
    return refuse(event, 413, "too large", `body over the ${options.maxBodyBytes}-byte limit (--max-body)`);
  }
  if (read.kind === "aborted") {
    event.refused = "client went away";
    return { status: null, headers: [], body: "" };
  }
  event.body = read.body;
  event.eventType = eventTypeOf(req.headers, read.body);
  event.verification = authenticate(options.auth, req.headers, read.body, state.now());
  if (event.verification.status === "invalid") {
    // Not counted as an attempt: dedupe and --fail-first only ever see authentic requests.
    return text(401, `invalid signature: ${event.verification.reason}`);
  }
  if (event.deliveryId !== null) {
    const seen = state.tracker.attempt(event.deliveryId);
    event.attempt = seen.attempt;
    event.duplicate = seen.duplicate;
  }
  if (event.duplicate) {
    return text(200, `ok (duplicate of accepted delivery ${event.deliveryId})`, [
      ["x-hookctl-duplicate", "1"],
    ]);
  }
  const injection = decideInjection(options.failure, event.attempt, state.random);
  event.injected = injection;
  const settled = injection === null && options.forwardTo === null;
  // Accept before any wait, so a retry racing this request is already seen as a duplicate.
  if (settled && event.deliveryId !== null) state.tracker.accept(event.deliveryId);
  if (options.failure.delayMs) await state.delay(options.failure.delayMs);
  if (injection) return injected(state, injection);
  if (options.forwardTo !== null && state.forward) {
    const outcome = await state.forward(options.forwardTo, req, read.body, {
      dispatcher: state.dispatcher,
      timeoutMs: options.forwardTimeoutMs,
      monotonic: state.monotonic,
    });
    event.forward = outcome.result;
    if (isSuccess(outcome.status) && event.deliveryId !== null) state.tracker.accept(event.deliveryId);
    return outcome;
  }
  return text(200, "ok");
}

function injected(state: ReceiverState, injection: Injection): Answer {
  if (injection.kind === "drop") return { status: null, headers: [], body: "" };
  const headers: [string, string][] = [["x-hookctl-injected", injection.label]];
  const retryAfter = state.options.failure.retryAfterSeconds;
  if (retryAfter !== undefined) headers.push(["retry-after", String(retryAfter)]);
  return text(injection.status, `injected failure (${injection.label})`, headers);
}

function refuse(
  event: RequestEvent,
  status: number,
  why: string,
  message: string,
  extra: [string, string][] = [],
): Answer {
  event.refused = why;
  // The unread body stays on the wire: close the connection rather than drain it.
  return text(status, message, [...extra, ["connection", "close"]]);
}

function text(status: number, message: string, extra: [string, string][] = []): Answer {
  return { status, headers: [["content-type", textPlain], ...extra], body: `${message}\n` };
}

function capture(state: ReceiverState, event: RequestEvent): void {
  if (!state.capture) return;
  const id = state.ids("rcv");
  state.capture.write({
    id,
    receivedAt: event.receivedAt,
    method: event.method,
    path: event.path,
    headers: event.headers,
    body: event.body,
    deliveryId: event.deliveryId,
    eventType: event.eventType,
    verification: event.verification.status,
    // Refused requests (404, 413, busy) were never checked: their reason shares the column.
    verificationReason: event.verification.reason ?? event.refused,
    scheme: event.verification.scheme,
    duplicate: event.duplicate,
    responseStatus: event.status,
    injected: event.injected ? event.injected.label : null,
    durationMs: event.durationMs,
  });
  event.id = id;
}

function send(state: ReceiverState, req: IncomingMessage, res: ServerResponse, answer: Answer): void {
  if (answer.status === null) {
    // --drop (or the client already left): no response at all.
    req.socket.destroy();
    return;
  }
  for (const [name, value] of answer.headers) res.appendHeader(name, value);
  if (state.closing) res.setHeader("connection", "close");
  res.statusCode = answer.status;
  res.end(answer.body);
}

function count(state: ReceiverState, event: RequestEvent): void {
  const counts = state.counts;
  if (event.refused !== null) counts.refused += 1;
  else if (event.duplicate) counts.duplicates += 1;
  else {
    counts.received += 1;
    if (event.verification.status === "verified") counts.verified += 1;
    else if (event.verification.status === "invalid") counts.rejected += 1;
    else counts.unverified += 1;
    if (event.injected) counts.injectedFailures += 1;
    if (event.forward) {
      if (event.forward.error === null) counts.forwarded += 1;
      else counts.forwardErrors += 1;
    }
  }
}

function isSuccess(status: number | null): boolean {
  return status !== null && status >= 200 && status < 300;
}

/** The path part of a request target, whatever form it came in. */
function pathOf(target: string): string {
  if (target.startsWith("/")) {
    const query = target.indexOf("?");
    return query < 0 ? target : target.slice(0, query);
  }
  try {
    return new URL(target).pathname;
  } catch {
    return target;
  }
}
