import * as z from "zod/mini";
import { type RelayedRequestJson, relayedRequest } from "../contract/schema/relay.js";

export { relayedRequest };

/**
 * The wire between `hookctl relay` (public) and `listen --from` (a laptop). Providers POST to
 * `/c/<channel>/<any path>`; a listener reads the channel's stream and acknowledges what it has
 * captured. Server-sent events over plain HTTP(S): no dependency, passes proxies that pass
 * HTTP, resumes with a sequence number, and a person can watch it with `curl -N`.
 *
 * - `GET  {relayApiPrefix}/channels/<name>/stream?after=<seq>|acked` with
 *   `Authorization: Bearer <channel token>`: `text/event-stream`. Every stored request with
 *   seq > after, in order, then new ones as they arrive. `after=acked` starts after the
 *   channel's last acknowledged seq (a listener without a cursor of its own).
 *   Each request: `id: <seq>`, `event: request`, `data: <RelayedRequest JSON, one line>`.
 *   When the backlog is sent: `event: caught-up`, `data: {"seq": <last seq sent>}`.
 *   Heartbeat: a comment line `: ping` every `heartbeatMs`; a listener that hears nothing for
 *   `heartbeatMs × 3` reconnects. Once the token no longer opens the channel (rotated, channel
 *   removed): `event: revoked`, `data: {"seq": <last seq sent>}`, and the stream ends.
 *   409 when `after` is past the channel's last seq (the channel was added again, or the relay's
 *   log replaced): the listener's position means nothing here.
 * - `POST {relayApiPrefix}/channels/<name>/ack` with the same token, body `{"seq": n}`: the
 *   listener has captured everything up to n (also its heartbeat: it posts the same n again when
 *   nothing new arrived for `heartbeatMs`). 204. The relay shows the last ack and its time in
 *   `relay channel list`.
 */
export const relayApiPrefix = "/_relay/v1";
/** Providers post below this: `/c/<channel>` plus any path and query. */
export const ingressPrefix = "/c/";
export const heartbeatMs = 15_000;

export const relayAck = z.object({ seq: z.int().check(z.nonnegative()) });
export const relayCaughtUp = z.object({ seq: z.int() });

export type RelayedRequest = RelayedRequestJson;
