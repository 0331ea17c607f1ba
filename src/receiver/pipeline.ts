import { authenticate } from "./authenticate.js";
import { captureFailure } from "./capture-failure.js";
import type { ForwardInput } from "./forward.js";
import { decideInjection } from "./inject.js";
import { eventTypeOf } from "./request-info.js";
import type { ReceiverState } from "./state.js";
import type { CursorMark, Injection, RequestEvent, Verification } from "./types.js";

const unverified: Verification = { status: "unverified", scheme: null, reason: null, secretIndex: null };
const textPlain = "text/plain; charset=utf-8";

/**
 * The steps every request takes once its bytes are in hand, whether it arrived on the local port
 * (handler.ts) or through a relay (relayed.ts): signature, dedupe, injected failure or forward,
 * capture, counts.
 */

/** Why a relayed request not yet answered by the app was given up when the receiver began to close. */
export const stoppingBeforeForward = "stopping before it was forwarded";

/** What the receiver decided to send back (for a relayed request: what it would have sent). */
export interface Answer {
  status: number | null;
  headers: [string, string][];
  /** Our own answers are strings: node then sends headers and body in one write, not a writev. */
  body: Buffer | string;
}

/** One request in progress: its event, and the outcome its delivery id waits for, if held. */
export interface Work {
  event: RequestEvent;
  settle: ((accepted: boolean) => void) | null;
}

export function newWork(
  receivedAt: number,
  method: string,
  path: string,
  headers: [string, string][],
  deliveryId: string | null,
): Work {
  const event: RequestEvent = {
    id: null,
    receivedAt,
    method,
    path,
    headers,
    body: Buffer.alloc(0),
    deliveryId,
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
  return { event, settle: null };
}

/** The request as the checks see it: node's lower-cased header record, the body, and a clock. */
export interface Judged {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
  /** When the signature's timestamp is judged against (a relayed request: when the relay got it). */
  verifyAt: number;
  forward: ForwardInput;
  /** Forward only once this settles: relayed requests reach the app one by one, in relay order. */
  forwardAfter?: Promise<void>;
}

/** Signature, dedupe, injected failure, delay, then forward or a plain 200. */
export async function judge(state: ReceiverState, work: Work, request: Judged): Promise<Answer> {
  const { options } = state;
  const event = work.event;
  event.body = request.body;
  event.eventType = eventTypeOf(request.headers, request.body);
  event.verification = authenticate(options.auth, request.headers, request.body, request.verifyAt);
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
    if (request.forwardAfter) {
      await request.forwardAfter;
      // Stopping: a relayed request not yet with the app is left for the next start (not captured).
      if (state.closing) {
        event.refused = stoppingBeforeForward;
        return { status: null, headers: [], body: "" };
      }
    }
    const outcome = await state.forward(options.forwardTo, request.forward, {
      dispatcher: state.dispatcher,
      timeoutMs: options.forwardTimeoutMs,
      monotonic: state.monotonic,
      signal: request.forwardAfter ? state.stopping : undefined,
    });
    if (request.forwardAfter && state.closing && outcome.result.error !== null) {
      event.refused = stoppingBeforeForward;
      return { status: null, headers: [], body: "" };
    }
    event.forward = outcome.result;
    return outcome;
  }
  return text(200, "ok");
}

/** Report the held attempt's outcome to its delivery id, once. */
export function settle(work: Work, accepted: boolean): void {
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

export function refuse(
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

export function text(status: number, message: string, extra: [string, string][] = []): Answer {
  return { status, headers: [["content-type", textPlain], ...extra], body: `${message}\n` };
}

/**
 * Hand the request to the capture sink (with the relay cursor it advances, if any); null when not
 * capturing. Sets the event's id.
 */
export function captureEvent(
  state: ReceiverState,
  event: RequestEvent,
  cursor?: CursorMark,
): Promise<void> | null {
  if (!state.capture) return null;
  const id = state.ids("rcv");
  const written = state.capture.write(
    {
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
    },
    cursor,
  );
  event.id = id;
  return written;
}

/** Report a capture that failed without anyone waiting for it. */
export function reportCaptureError(state: ReceiverState, error: unknown): Error {
  const failure = captureFailure(error);
  state.events.emit("capture-error", failure);
  return failure;
}

export function count(state: ReceiverState, event: RequestEvent): void {
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

export function isSuccess(status: number | null): boolean {
  return status !== null && status >= 200 && status < 300;
}

/** The path part of a request target, whatever form it came in. */
export function pathOf(target: string): string {
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
