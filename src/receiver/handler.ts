import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "./body.js";
import {
  type Answer,
  captureEvent,
  count,
  isSuccess,
  judge,
  newWork,
  pathOf,
  refuse,
  reportCaptureError,
  settle,
  text,
  type Work,
} from "./pipeline.js";
import { deliveryIdOf, headerPairs } from "./request-info.js";
import type { ReceiverState } from "./state.js";
import type { RequestEvent } from "./types.js";

/** Sent with a 503 for a request that could not be captured: long enough for a lock to clear. */
const notCapturedRetryAfterSeconds = 5;

/**
 * One request, start to finish: limits, path, signature, dedupe, injected failure or forward,
 * capture (a 2xx waits for its commit; see CaptureSink), answer, then the `request` event.
 */
export async function handleRequest(state: ReceiverState, req: IncomingMessage, res: ServerResponse) {
  const t0 = state.monotonic();
  const work = newWork(
    state.now(),
    req.method ?? "GET",
    req.url ?? "/",
    headerPairs(req.rawHeaders),
    deliveryIdOf(req.headers),
  );
  const event = work.event;
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
  return judge(state, work, {
    headers: req.headers,
    body: read.body,
    verifyAt: state.now(),
    forward: { method: event.method, target: event.path, headers: event.headers, body: read.body },
  });
}

/**
 * Store the request. A 2xx that is not a duplicate claims the request was captured: it waits for
 * the commit, and becomes a 503 with Retry-After when the commit fails, so the sender retries.
 * Other answers (refusals, failures, duplicates, whose original was captured) do not wait.
 */
async function capture(state: ReceiverState, event: RequestEvent, answer: Answer): Promise<Answer> {
  const written = captureEvent(state, event);
  if (!written) return answer;
  if (!isSuccess(answer.status) || event.duplicate) {
    written.catch((error: unknown) => reportCaptureError(state, error));
    return answer;
  }
  try {
    await written;
    return answer;
  } catch (error) {
    const failure = reportCaptureError(state, error);
    event.id = null;
    event.refused = `not captured: ${failure.message}`;
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
