import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../receiver/body.js";
import type { RelayStore } from "../store/ports/relay.js";
import { RelayRefusal } from "./answer.js";
import type { ChannelHub } from "./commit.js";
import { relayAck, relayApiPrefix } from "./protocol.js";
import { streamChannel } from "./stream.js";
import { bearerMatches } from "./token.js";

export interface ApiDeps {
  store: Pick<RelayStore, "getChannel" | "recordAck" | "readRequestPage">;
  now: () => number;
  hub: ChannelHub;
  /** See RelayServerOptions.pollMs. */
  pollMs?: number;
  heartbeatMs: number;
  pageSize: number;
  signal: AbortSignal;
  onStream?: (event: { channel: string; after: number; open: boolean }) => void;
}

const apiRoute = /^\/channels\/([^/?]+)\/(stream|ack)(?:\?(.*))?$/;

/**
 * The listener's side: `GET …/channels/<name>/stream` and `POST …/channels/<name>/ack`, both
 * with the channel's bearer token. A wrong token and an unknown channel are both 401, after the
 * same digest comparison: only a holder of a valid token learns anything about a channel.
 */
export async function handleApi(req: IncomingMessage, res: ServerResponse, deps: ApiDeps): Promise<void> {
  const match = apiRoute.exec((req.url ?? "").slice(relayApiPrefix.length));
  if (!match) throw new RelayRefusal(404, "not found");
  const [, name = "", action, query = ""] = match;
  const method = action === "stream" ? "GET" : "POST";
  if (req.method !== method) throw new RelayRefusal(405, `${action} takes ${method}`, { Allow: method });
  const channel = await deps.store.getChannel(name);
  if (!bearerMatches(req.headers.authorization, channel?.tokenSha256) || !channel) {
    throw new RelayRefusal(
      401,
      req.headers.authorization === undefined
        ? "the channel's bearer token is required (Authorization: Bearer <token>)"
        : "the token is not accepted for this channel",
      { "WWW-Authenticate": "Bearer" },
    );
  }
  if (action === "ack") {
    const seq = await ackBody(req);
    await deps.store.recordAck(name, seq, deps.now());
    res.writeHead(204).end();
    return;
  }
  const after = afterOf(new URLSearchParams(query), channel.ackedSeq);
  const last = channel.nextSeq - 1;
  if (after > last) {
    // A listener's cursor past anything stored: the channel is not the one it read (removed and
    // added again) or the log is not (replaced). Streaming would skip every request up to there.
    throw new RelayRefusal(
      409,
      `cannot resume after #${after}: this channel's last request is #${last} (the channel was added again, or the relay's log replaced)`,
    );
  }
  deps.onStream?.({ channel: name, after, open: true });
  const opened = channel.tokenSha256;
  try {
    await streamChannel(res, {
      ...deps,
      readPage: (channelName, from, limit) => deps.store.readRequestPage(channelName, from, limit),
      channel: name,
      after,
      stillAllowed: async () => (await deps.store.getChannel(name))?.tokenSha256 === opened,
    });
  } finally {
    deps.onStream?.({ channel: name, after, open: false });
  }
}

function afterOf(query: URLSearchParams, ackedSeq: number): number {
  const after = query.get("after") ?? "acked";
  if (after === "acked") return ackedSeq;
  if (!/^\d{1,15}$/.test(after)) throw new RelayRefusal(400, "after= takes a sequence number or acked");
  return Number(after);
}

async function ackBody(req: IncomingMessage): Promise<number> {
  const read = await readBody(req, 1024);
  if (read.kind !== "ok")
    throw new RelayRefusal(read.kind === "too-large" ? 413 : 400, 'an ack is {"seq": n}');
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.body.toString("utf8"));
  } catch {
    throw new RelayRefusal(400, 'an ack is JSON: {"seq": n}');
  }
  const ack = relayAck.safeParse(parsed);
  if (!ack.success) throw new RelayRefusal(400, 'an ack is {"seq": n} with n a whole number ≥ 0');
  return ack.data.seq;
}
