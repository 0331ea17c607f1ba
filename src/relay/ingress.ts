import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../receiver/body.js";
import type { RelayStore } from "../store/ports/relay.js";
import { answer, RelayRefusal } from "./answer.js";
import type { RelayDefaults } from "./caps.js";
import type { GroupCommitter } from "./commit.js";
import { ingressPrefix } from "./protocol.js";
import { channelNamePattern } from "./token.js";

/** Methods providers use: deliveries, and GET/HEAD verification pings (stored the same way). */
export const ingressMethods = ["POST", "PUT", "PATCH", "GET", "HEAD", "DELETE"];

/** What the relay's operator hears about each request that reached a channel's URL. */
export interface IngressEvent {
  channel: string;
  /** Null when refused. */
  seq: number | null;
  method: string;
  path: string;
  statusCode: number;
  bytes: number;
  at: number;
  /** Why it was refused. */
  reason: string | null;
}

export interface IngressDeps {
  store: Pick<RelayStore, "getChannel">;
  now: () => number;
  defaults: () => RelayDefaults;
  /** 0: go ahead; otherwise milliseconds until the channel's rate allows another request. */
  takeRate: (channel: string, ratePerSecond: number) => number;
  committer: GroupCommitter;
  onEvent?: (event: IngressEvent) => void;
}

/** `/c/<channel>/<rest>?<query>` split as sent (percent-encoding kept); undefined: not a channel URL. */
export function ingressTarget(url: string): { channel: string; path: string; query: string } | undefined {
  if (!url.startsWith(ingressPrefix)) return undefined;
  const mark = url.indexOf("?");
  const pathPart = mark < 0 ? url : url.slice(0, mark);
  const rest = pathPart.slice(ingressPrefix.length);
  const slash = rest.indexOf("/");
  const channel = slash < 0 ? rest : rest.slice(0, slash);
  if (!channelNamePattern.test(channel)) return undefined;
  return { channel, path: slash < 0 ? "/" : rest.slice(slash), query: mark < 0 ? "" : url.slice(mark + 1) };
}

/**
 * A provider's request to a channel: refused (404 unknown channel, 413 body over the cap, 429
 * over the rate, 507 channel full) or stored and committed, and only then answered 200.
 */
export async function handleIngress(
  req: IncomingMessage,
  res: ServerResponse,
  deps: IngressDeps,
): Promise<void> {
  const method = req.method ?? "";
  const target = ingressTarget(req.url ?? "");
  const at = deps.now();
  let bytes = 0;
  const report = (statusCode: number, seq: number | null, reason: string | null) =>
    deps.onEvent?.({
      channel: target?.channel ?? "",
      seq,
      method,
      path: target?.path ?? "",
      statusCode,
      bytes,
      at,
      reason,
    });
  try {
    if (!target) throw new RelayRefusal(404, "no such channel");
    if (!ingressMethods.includes(method)) {
      throw new RelayRefusal(405, `a channel takes ${ingressMethods.join(", ")}`, {
        Allow: ingressMethods.join(", "),
      });
    }
    const channel = await deps.store.getChannel(target.channel);
    if (!channel) throw new RelayRefusal(404, "no such channel");
    const defaults = deps.defaults();
    const rate = channel.ratePerSecond ?? defaults.ratePerSecond;
    const waitMs = deps.takeRate(target.channel, rate);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new RelayRefusal(429, `channel ${target.channel} is over its rate of ${rate}/s; retry later`, {
        "Retry-After": String(seconds),
      });
    }
    const maxBody = channel.maxBodyBytes ?? defaults.maxBodyBytes;
    const read = await readBody(req, maxBody);
    if (read.kind === "too-large") {
      throw new RelayRefusal(413, `the body is over channel ${target.channel}'s ${maxBody}-byte limit`);
    }
    if (read.kind === "aborted") {
      res.destroy();
      return;
    }
    bytes = read.body.length;
    const headers: [string, string][] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
    }
    const outcome = await deps.committer.submit(target.channel, {
      receivedAt: at,
      method,
      path: target.path,
      query: target.query,
      headers,
      body: read.body,
      sha256: createHash("sha256").update(read.body).digest("hex"),
    });
    if (outcome.kind === "unknown-channel") throw new RelayRefusal(404, "no such channel");
    if (outcome.kind === "full") {
      throw new RelayRefusal(
        507,
        `channel ${target.channel} is full (${outcome.storedBytes} of ${outcome.maxStoredBytes} bytes stored; older requests go as relay --keep expires them)`,
      );
    }
    answer(res, 200, JSON.stringify({ seq: outcome.seq }), { "Content-Type": "application/json" });
    report(200, outcome.seq, null);
  } catch (error) {
    if (!(error instanceof RelayRefusal)) throw error;
    // A refused body may still be arriving: close rather than read it to keep the connection.
    if (error.status === 413 || !req.complete) res.setHeader("Connection", "close");
    answer(res, error.status, error.reason, error.headers);
    report(error.status, null, error.reason);
  }
}
