import * as z from "zod/mini";
import { bodyFields, instant, milliseconds } from "./common.js";
import { headerList } from "./headers.js";

/**
 * A request `listen` received: `log received --json` lists these; `log received show --json`
 * and `listen --json` add the headers (as received: names, order and repeats) and the body.
 */
export const receivedRequest = z.object({
  id: z.nullable(z.string()),
  receivedAt: instant,
  method: z.string(),
  /** The request target as received, query string included. */
  path: z.string(),
  eventType: z.nullable(z.string()),
  deliveryId: z.nullable(z.string()),
  verification: z.enum(["verified", "invalid", "unverified"]),
  /** Why verification failed (invalid), or why the request was refused unchecked. */
  reason: z.nullable(z.string()),
  scheme: z.nullable(z.string()),
  duplicate: z.boolean(),
  /** What the receiver answered; null when it dropped the connection on purpose. */
  statusCode: z.nullable(z.int()),
  /** How a failure was injected (`fail-first 1/2`), if one was. */
  injected: z.nullable(z.string()),
  /** Refused before verification (too large, too slow, wrong path…). */
  refused: z.nullable(z.string()),
  size: z.int(),
  durationMs: z.nullable(milliseconds),
});

export const receivedRequestDetail = z.extend(receivedRequest, {
  headers: headerList,
  ...bodyFields,
});

/** `listen --json`: each request as it is answered, with the app's answer when forwarding. */
export const listenRequest = z.extend(receivedRequestDetail, {
  /** The attempt number the sender put on the request, when it said. */
  attempt: z.nullable(z.int()),
  forward: z.nullable(
    z.object({
      statusCode: z.nullable(z.int()),
      durationMs: milliseconds,
      error: z.nullable(z.string()),
    }),
  ),
});

export type ReceivedRequestJson = z.infer<typeof receivedRequest>;
export type ReceivedRequestDetailJson = z.infer<typeof receivedRequestDetail>;
export type ListenRequestJson = z.infer<typeof listenRequest>;
