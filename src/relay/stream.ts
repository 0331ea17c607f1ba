import type { ServerResponse } from "node:http";
import type { RelayRequestRow } from "../store/relay.js";
import type { ChannelHub } from "./commit.js";
import type { RelayedRequest } from "./protocol.js";

export interface StreamOptions {
  channel: string;
  /** Send requests with seq > after. */
  after: number;
  readPage: (channel: string, after: number, limit: number) => Promise<RelayRequestRow[]>;
  hub: ChannelHub;
  heartbeatMs: number;
  /** Also look for new requests this often (absent: only when the hub says so). */
  pollMs?: number;
  /** Requests read from the log at a time (never the whole backlog at once). */
  pageSize: number;
  /** Ends the stream cleanly (the relay is stopping). */
  signal: AbortSignal;
  /**
   * Whether the token the stream was opened with still opens it (not rotated, the channel not
   * removed): asked before each read of the log and at each heartbeat; false ends the stream.
   */
  stillAllowed: () => Promise<boolean>;
}

/** The wire form of a stored request (protocol.ts: relayedRequest). */
export function relayedOf(row: RelayRequestRow): RelayedRequest {
  return {
    seq: row.seq,
    channel: row.channel,
    method: row.method,
    path: row.path,
    query: row.query,
    headers: row.headers.map(([name, value]) => ({ name, value })),
    bodyBase64: row.body.toString("base64"),
    sha256: row.sha256,
    receivedAt: new Date(row.receivedAt).toISOString(),
  };
}

function requestFrame(row: RelayRequestRow): string {
  return `id: ${row.seq}\nevent: request\ndata: ${JSON.stringify(relayedOf(row))}\n\n`;
}

/**
 * One listener's server-sent event stream: the backlog page by page, `caught-up`, then each
 * request as soon as its commit is announced on the hub; `: ping` every heartbeatMs; `revoked`
 * and the end once its token no longer opens the channel. When the
 * socket's buffer is full, reading from the log waits for 'drain'. Resolves when the stream ends
 * (the listener went away, or `signal`).
 */
export async function streamChannel(res: ServerResponse, options: StreamOptions): Promise<void> {
  const { channel, pageSize, signal } = options;
  let last = options.after;
  // Subscribed before the first read: a commit between the read and the wait is not missed.
  let dirty = true;
  let wake: (() => void) | undefined;
  let drainWait: (() => void) | undefined;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  const unsubscribe = options.hub.subscribe(channel, poke);
  let ended = false;
  const end = () => {
    ended = true;
    wake?.();
    drainWait?.();
  };
  res.once("close", end);
  signal.addEventListener("abort", end, { once: true });
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    // Proxies (nginx) would otherwise hold events back in their buffers.
    "X-Accel-Buffering": "no",
  });
  res.flushHeaders();
  // Each heartbeat also has the loop look again, so a revoked token is noticed on a quiet channel.
  const heartbeat = setInterval(() => {
    if (!res.writableNeedDrain) res.write(": ping\n\n");
    poke();
  }, options.heartbeatMs);
  const poll = options.pollMs === undefined ? undefined : setInterval(poke, options.pollMs);
  // Only 'drain' or the end resumes writing: news of more requests does not.
  const drained = () =>
    new Promise<void>((resolve) => {
      drainWait = resolve;
      res.once("drain", resolve);
    }).finally(() => {
      drainWait = undefined;
    });
  try {
    let caughtUp = false;
    while (!ended && !signal.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      dirty = false;
      // A rotated token or a removed channel receives nothing more: the listener reconnects and
      // is refused (401) with the old token.
      if (!(await options.stillAllowed())) {
        if (!ended) res.write(`event: revoked\ndata: ${JSON.stringify({ seq: last })}\n\n`);
        return;
      }
      if (ended) return;
      for (;;) {
        const rows = await options.readPage(channel, last, pageSize);
        if (ended) return;
        for (const row of rows) {
          last = row.seq;
          if (!res.write(requestFrame(row))) await drained();
          if (ended) return;
        }
        if (rows.length < pageSize) break;
      }
      if (!caughtUp) {
        caughtUp = true;
        res.write(`event: caught-up\ndata: ${JSON.stringify({ seq: last })}\n\n`);
      }
    }
  } finally {
    clearInterval(heartbeat);
    clearInterval(poll);
    unsubscribe();
    res.off("close", end);
    signal.removeEventListener("abort", end);
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}
