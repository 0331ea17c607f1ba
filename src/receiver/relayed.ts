import * as pipeline from "./pipeline.js";
import { deliveryIdOf, headerRecordOf } from "./request-info.js";
import type { ReceiverState } from "./state.js";
import type { CursorMark, RequestEvent } from "./types.js";

/** A request a relay stored and passed on, with the relay cursor its capture advances. */
export interface RelayedInput {
  method: string;
  /** The path below the channel. */
  path: string;
  /** The raw query string without "?", "" when none. */
  query: string;
  headers: [string, string][];
  body: Buffer;
  /** When the relay received it (ms): the signature's timestamp is judged against this. */
  receivedAt: number;
  cursor?: CursorMark;
}

export interface RelayedHandling {
  event: RequestEvent;
  /**
   * Resolves with the event once it is captured (or at once without capture), after the
   * `request` event; rejects with a CaptureError when the capture failed. Settles in the order
   * the requests were handled.
   */
  done: Promise<RequestEvent>;
}

/**
 * The listen pipeline for a request that came through a relay, as if it had arrived on the local
 * port: path filter, signature (at the relay's arrival time, so a backlog caught up hours later
 * still verifies), dedupe, injected failure, --forward-to, capture. Nobody waits for an answer:
 * the relay already answered the provider. The status that would have been sent is recorded and
 * shown; the caller acknowledges the request once `done` resolves, whatever that status.
 *
 * Returns at once, so the caller can hand over the next request while this one is forwarded and
 * captured: forwards wait their turn and reach the app one by one in relay order, and
 * captures are submitted in the order requests were handed over, so the relay cursor moves
 * through them in order.
 */
export function handleRelayed(state: ReceiverState, input: RelayedInput): RelayedHandling {
  const t0 = state.monotonic();
  const target = input.query === "" ? input.path : `${input.path}?${input.query}`;
  const headers = headerRecordOf(input.headers);
  const work = pipeline.newWork(input.receivedAt, input.method, target, input.headers, deliveryIdOf(headers));
  const event = work.event;
  state.enter();
  const { options } = state;
  // Taken in the order requests are handed over: the app gets them one by one, in that order.
  const forwardAfter = state.relayedForwardTail;
  // Runs synchronously up to its first wait: a later request with the same delivery id sees
  // this one's hold and waits for its outcome.
  const judged =
    options.path !== null && pipeline.pathOf(target) !== options.path
      ? Promise.resolve(
          pipeline.refuse(event, 404, "not found", `nothing here; webhooks go to ${options.path}`),
        )
      : pipeline.judge(state, work, {
          headers,
          body: input.body,
          verifyAt: input.receivedAt,
          forward: { method: input.method, target, headers: input.headers, body: input.body },
          forwardAfter,
        });
  // After the earlier ones too: a request that is not forwarded (a 401) must not let a later one overtake.
  state.relayedForwardTail = forwardAfter
    .then(() => judged)
    .then(
      () => {},
      () => {},
    );
  const earlier = state.relayedTail;
  // Wrapped, so awaiting the submission does not also await the commit.
  const submitted = (async () => {
    const answer = await judged;
    if (event.refused === pipeline.stoppingBeforeForward) {
      throw new Error("the listener is stopping; it is fetched again on the next start");
    }
    // No body limit was applied: the relay applied its own, and answered 2xx; refusing would lose it.
    if (event.refused !== null) event.body = input.body;
    event.status = answer.status;
    event.durationMs = state.monotonic() - t0;
    await earlier;
    return { written: pipeline.captureEvent(state, event, input.cursor) ?? Promise.resolve() };
  })();
  state.relayedTail = submitted.then(
    () => {},
    () => {},
  );
  const done = submitted
    .then(({ written }) => written)
    .then(
      () => {
        pipeline.settle(work, pipeline.isSuccess(event.status));
        pipeline.count(state, event);
        state.leave();
        state.events.emit("request", event);
        return event;
      },
      (error: unknown) => {
        pipeline.settle(work, false);
        event.id = null;
        state.leave();
        throw error;
      },
    );
  return { event, done };
}
