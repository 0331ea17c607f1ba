import { createHash } from "node:crypto";
import { type Dispatcher, request } from "undici";
import { UsageError } from "../errors.js";
import { describe } from "../receiver/capture-failure.js";
import { describeNetworkError } from "../receiver/forward.js";
import { createAcker } from "./acker.js";
import { type ReconnectBackoff, reconnectDefaults, reconnectDelay } from "./backoff.js";
import {
  heartbeatMs as defaultHeartbeatMs,
  type RelayedRequest,
  relayApiPrefix,
  relayCaughtUp,
  relayedRequest,
} from "./protocol.js";
import type { RelaySource } from "./source.js";
import { SseReader } from "./sse-reader.js";
import { realTimers, sleep, type Timers } from "./timers.js";

/** What the client reports as it goes; the command renders these as state lines. */
export type RelayClientEvent =
  | { kind: "connected"; resumeAfter: number | null; reconnect: boolean }
  | { kind: "caught-up"; seq: number }
  | { kind: "disconnected"; reason: string; retryInMs: number; wasConnected: boolean }
  | { kind: "corrupt"; seq: number; expected: string; actual: string }
  | { kind: "ack-failed"; seq: number; reason: string };

export interface RelayClientOptions {
  source: RelaySource;
  token: string;
  /** The relay's heartbeat; a stream silent for three of them is dropped (default protocol's). */
  heartbeatMs?: number;
  /** Acks are batched: at most one POST per this many ms (default 200). */
  ackIntervalMs?: number;
  /** Requests handed over whose capture has not settled yet, at most (default 32). */
  maxInFlight?: number;
  backoff?: ReconnectBackoff;
}

/** What the handler returns: `done` settles once the request is captured (or could not be). */
export interface Handled {
  done: Promise<unknown>;
}

export interface RelayClientDeps {
  /**
   * Run one request through the listen pipeline. Called in seq order, one at a time; `previous`
   * is the seq handed over before it on this connection (or the cursor resumed from).
   */
  handle(request: RelayedRequest, body: Buffer, previous: number | null): Handled | Promise<Handled>;
  /** The last seq captured, from the log (read at each connect); absent: kept in memory only. */
  storedCursor?: () => number | null | Promise<number | null>;
  /** With no cursor yet, start at the channel's first stored request, not the relay's last ack. */
  fromStart?: boolean;
  onEvent?: (event: RelayClientEvent) => void;
  dispatcher?: Dispatcher;
  random?: () => number;
  timers?: Timers;
}

interface SessionEnd {
  connected: boolean;
  reason: string;
}

/**
 * `listen --from`: read the channel's stream (protocol.ts), resuming after the last seq captured,
 * hand each request over in order, acknowledge what is captured; reconnect with jittered backoff
 * until `signal` aborts. A 401/403/404/409 is not retried: it throws a UsageError.
 */
export async function runRelayClient(
  options: RelayClientOptions,
  deps: RelayClientDeps,
  signal: AbortSignal,
): Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? defaultHeartbeatMs;
  const timers = deps.timers ?? realTimers;
  const random = deps.random ?? Math.random;
  const emit = deps.onEvent ?? (() => {});
  const channelPath = `${options.source.base}${relayApiPrefix}/channels/${encodeURIComponent(options.source.channel)}`;
  const authorization = `Bearer ${options.token}`;
  const acker = createAcker(
    async (seq) => {
      try {
        const response = await request(`${channelPath}/ack`, {
          method: "POST",
          headers: { authorization, "content-type": "application/json" },
          body: JSON.stringify({ seq }),
          dispatcher: deps.dispatcher,
          headersTimeout: heartbeatMs,
          bodyTimeout: heartbeatMs,
        });
        await response.body.dump();
        if (response.statusCode >= 300)
          emit({ kind: "ack-failed", seq, reason: `relay answered ${response.statusCode}` });
      } catch (error) {
        emit({ kind: "ack-failed", seq, reason: describeNetworkError(error) });
      }
    },
    timers,
    { intervalMs: options.ackIntervalMs ?? 200, heartbeatMs },
  );
  let everConnected = false;
  let attempt = 0;
  try {
    while (!signal.aborted) {
      const end = await session();
      if (signal.aborted) break;
      if (end.connected) attempt = 0;
      const retryInMs = reconnectDelay(attempt++, random, options.backoff ?? reconnectDefaults);
      emit({ kind: "disconnected", reason: end.reason, retryInMs, wasConnected: end.connected });
      await sleep(timers, retryInMs, signal);
    }
  } finally {
    await acker.close();
  }

  async function session(): Promise<SessionEnd> {
    let after: number | null;
    try {
      after = deps.storedCursor ? await deps.storedCursor() : acker.latest;
      if (after === null && deps.fromStart) after = 0;
    } catch (error) {
      // The log is unreachable for now (a PostgreSQL restart): like a lost connection, retried.
      return { connected: false, reason: `cannot read the relay cursor from the log (${describe(error)})` };
    }
    const controller = new AbortController();
    let reason: string | null = null;
    const drop = (why: string) => {
      reason ??= why;
      controller.abort();
    };
    const onStop = () => drop("stopped");
    signal.addEventListener("abort", onStop, { once: true });
    try {
      let response: Dispatcher.ResponseData;
      try {
        response = await request(`${channelPath}/stream?after=${after ?? "acked"}`, {
          headers: { authorization, accept: "text/event-stream" },
          dispatcher: deps.dispatcher,
          signal: controller.signal,
          headersTimeout: 3 * heartbeatMs,
          bodyTimeout: 0,
        });
      } catch (error) {
        return { connected: false, reason: reason ?? `cannot connect (${describeNetworkError(error)})` };
      }
      if (response.statusCode !== 200) {
        const text = (await response.body.text().catch(() => "")).trim().split("\n")[0]?.slice(0, 200) ?? "";
        refuse(response.statusCode, text);
        return {
          connected: false,
          reason: `the relay answered ${response.statusCode}${text ? ` (${text})` : ""}`,
        };
      }
      emit({ kind: "connected", resumeAfter: after, reconnect: everConnected });
      everConnected = true;
      await stream(response, after, drop, () => reason !== null);
      return { connected: true, reason: reason ?? "the relay closed the stream" };
    } finally {
      signal.removeEventListener("abort", onStop);
    }
  }

  /** Read until the stream ends or is dropped; returns once every capture started has settled. */
  async function stream(
    response: Dispatcher.ResponseData,
    after: number | null,
    drop: (why: string) => void,
    dropped: () => boolean,
  ): Promise<void> {
    const silentMs = 3 * heartbeatMs;
    let busy = false;
    let cancelWatchdog = () => {};
    const watch = () => {
      cancelWatchdog();
      cancelWatchdog = timers.after(silentMs, () => {
        // The stream is not read while a request is being handled (a slow app): that is not silence.
        if (busy) watch();
        else drop(`nothing heard for ${silentMs / 1000}s`);
      });
    };
    watch();
    let lastSeen = after;
    let previous = after;
    let failedAt = Number.POSITIVE_INFINITY;
    const maxInFlight = options.maxInFlight ?? 32;
    // Oldest first: they settle in the order handed over.
    const inFlight: Promise<boolean>[] = [];
    // Settles (never rejects) once every request handed over so far has settled, in order.
    let pending: Promise<void> = Promise.resolve();
    const reader = new SseReader();
    try {
      for await (const chunk of response.body) {
        watch();
        for (const event of reader.feed(chunk as Buffer)) {
          if (dropped()) break;
          if (event.event === "revoked") {
            drop("the relay revoked the token (rotated, or the channel removed)");
            break;
          }
          if (event.event === "caught-up") {
            const parsed = parseJson(event.data, relayCaughtUp);
            if (parsed) pending = pending.then(() => emit({ kind: "caught-up", seq: parsed.seq }));
            continue;
          }
          if (event.event !== "request") continue;
          const parsed = parseJson(event.data, relayedRequest);
          if (!parsed) {
            drop(`the relay sent a malformed request (event id ${event.id ?? "none"})`);
            break;
          }
          // Already captured (a resend after reconnecting, or a relay that replays): skip.
          if (lastSeen !== null && parsed.seq <= lastSeen) continue;
          const body = Buffer.from(parsed.bodyBase64, "base64");
          const actual = createHash("sha256").update(body).digest("hex");
          if (actual !== parsed.sha256.toLowerCase()) {
            emit({ kind: "corrupt", seq: parsed.seq, expected: parsed.sha256, actual });
            drop(`request #${parsed.seq} failed its sha256 check`);
            break;
          }
          busy = true;
          let handled: Handled;
          try {
            handled = await deps.handle(parsed, body, previous);
          } finally {
            busy = false;
          }
          lastSeen = parsed.seq;
          previous = parsed.seq;
          const seq = parsed.seq;
          const captured = handled.done.then(
            () => true,
            (error: unknown) => {
              failedAt = Math.min(failedAt, seq);
              drop(`cannot capture request #${seq} (${describeNetworkError(error)})`);
              return false;
            },
          );
          pending = pending.then(async () => {
            if ((await captured) && seq < failedAt) acker.advance(seq);
          });
          inFlight.push(captured);
          if (inFlight.length >= maxInFlight) {
            busy = true;
            await inFlight.shift();
            busy = false;
          }
        }
        if (dropped()) break;
      }
    } catch (error) {
      if (!dropped()) drop(describeNetworkError(error));
    } finally {
      cancelWatchdog();
      response.body.destroy();
      await pending;
    }
  }

  function refuse(status: number, text: string): void {
    const where = options.source.url;
    if (status === 401 || status === 403) {
      throw new UsageError(
        `the relay refused the token for ${where} (${status}${text ? `: ${text}` : ""})`,
        "check --relay-token-file or HOOKCTL_RELAY_TOKEN against `hookctl relay channel add`'s token",
      );
    }
    if (status === 409) {
      throw new UsageError(
        `the relay cannot stream ${where} from where this log left it (409${text ? `: ${text}` : ""})`,
        "to take the channel from its first stored request, start once with --from-start",
      );
    }
    if (status === 404) {
      throw new UsageError(
        `the relay has no channel ${JSON.stringify(options.source.channel)} at ${where} (404)`,
        "check the URL, or add it on the relay: hookctl relay channel add <name>",
      );
    }
  }
}

function parseJson<T>(text: string, schema: { safeParse(value: unknown): { success: boolean; data?: T } }) {
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? (result.data as T) : null;
  } catch {
    return null;
  }
}
