import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "./authenticate.js";
import { readBody } from "./body.js";
import { captureFailure } from "./capture-failure.js";
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

/** One request in progress: its event, and the outcome its delivery id waits for, if held. */
interface Work {
  event: RequestEvent;
  settle: ((accepted: boolean) => void) | null;
}

/** Sent with a 503 for a request that could not be captured: long enough for a lock to clear. */
const notCapturedRetryAfterSeconds = 5;

/**
 * One request, start to finish: limits, path, signature, dedupe, injected failure or forward,
 * capture (a 2xx waits for its commit; see CaptureSink), answer, then the `request` event.
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
  const work: Work = { event, settle: null };
  state.enter();
  try {
    const decided = await decide(state, req, work);
    event.status = decided.status;
    event.durationMs = state.monotonic() - t0;
    const answer = await capture(state, event, decided);
    event.status = answer.status;
    // Before the answer goes out, so a retry waiting on this one is answered as its duplicate.
    settle(work, isSuccess(answer.status));
    send(state, req, res, answer);
    count(state, event);
    state.events.emit("request", event);
  } finally {
    settle(work, false);
    state.leave();
  }
}

async function decide(state: ReceiverState, req: IncomingMessage, work: Work): Promise<Answer> {
  const { options } = state;
  const event = work.event;
  if (state.active > options.maxConcurrent) {
    return refuse(event, 503, "busy", "too many requests at once; retry shortly", [["retry-after", "1"]]);
  }
  if (options.path !== null && pathOf(event.path) !== options.path) {
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
  const id = event.deliveryId;
  if (id !== null) {
    // An earlier attempt of this id is still being answered: its outcome says whether this is a duplicate.
    for (let earlier = state.tracker.settling(id); earlier; earlier = state.tracker.settling(id))
      await earlier;
    const seen = state.tracker.attempt(id);
    event.attempt = seen.attempt;
    event.duplicate = seen.duplicate;
  }
  if (event.duplicate) {
    return text(200, `ok (duplicate of accepted delivery ${id})`, [["x-hookctl-duplicate", "1"]]);
  }
  const injection = decideInjection(options.failure, event.attempt, state.random);
  event.injected = injection;
  if (injection === null && id !== null) {
    // Held before any wait, so a retry racing this request waits for its outcome.
    work.settle = state.tracker.hold(id);
    // Nothing to capture or forward: the 2xx is certain now, and a retry racing --delay is a duplicate.
    if (!state.capture && options.forwardTo === null) settle(work, true);
  }
  if (options.failure.delayMs) await state.delay(options.failure.delayMs);
  if (injection) return injected(state, injection);
  if (options.forwardTo !== null && state.forward) {
    const outcome = await state.forward(options.forwardTo, req, read.body, {
      dispatcher: state.dispatcher,
      timeoutMs: options.forwardTimeoutMs,
      monotonic: state.monotonic,
    });
    event.forward = outcome.result;
    return outcome;
  }
  return text(200, "ok");
}

/** Report the held attempt's outcome to its delivery id, once. */
function settle(work: Work, accepted: boolean): void {
  const outcome = work.settle;
  work.settle = null;
  outcome?.(accepted);
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

/**
 * Store the request. A 2xx that is not a duplicate claims the request was captured: it waits for
 * the commit, and becomes a 503 with Retry-After when the commit fails, so the sender retries.
 * Other answers (refusals, failures, duplicates, whose original was captured) do not wait.
 */
async function capture(state: ReceiverState, event: RequestEvent, answer: Answer): Promise<Answer> {
  if (!state.capture) return answer;
  const id = state.ids("rcv");
  const written = state.capture.write({
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
  if (!isSuccess(answer.status) || event.duplicate) {
    written.catch((error: unknown) => state.events.emit("capture-error", captureFailure(error)));
    return answer;
  }
  try {
    await written;
    return answer;
  } catch (error) {
    const failure = captureFailure(error);
    event.id = null;
    event.refused = `not captured: ${failure.message}`;
    state.events.emit("capture-error", failure);
    return text(503, `not captured: ${failure.message}; retry later`, [
      ["retry-after", String(notCapturedRetryAfterSeconds)],
    ]);
  }
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
