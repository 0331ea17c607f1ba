import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { reconnectDelay } from "../../src/relay/backoff.js";
import { type RelayClientEvent, runRelayClient } from "../../src/relay/client.js";
import type { RelayedRequest } from "../../src/relay/protocol.js";
import { waitFor } from "../helpers/bin.js";
import { frame, ManualTimers, relayed, testRelay } from "./client-support.js";

const heartbeatMs = 1000;
const stops: AbortController[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop.abort();
});

/** The client against `relay`, with hand-driven timers; `fail` makes those seqs' captures fail. */
function startClient(
  relay: Awaited<ReturnType<typeof testRelay>>,
  options: { storedCursor?: () => number | null; fail?: number[]; random?: () => number } = {},
) {
  const timers = new ManualTimers();
  const handled: { seq: number; body: string; previous: number | null }[] = [];
  const events: RelayClientEvent[] = [];
  const stop = new AbortController();
  stops.push(stop);
  const running = runRelayClient(
    { source: relay.source, token: "tok_secret", heartbeatMs, ackIntervalMs: 200 },
    {
      handle: async (request: RelayedRequest, body, previous) => {
        handled.push({ seq: request.seq, body: body.toString(), previous });
        const failed = options.fail?.includes(request.seq);
        return { done: failed ? Promise.reject(new Error("disk full")) : Promise.resolve() };
      },
      storedCursor: options.storedCursor,
      onEvent: (event) => events.push(event),
      timers,
      random: options.random ?? (() => 0.5),
    },
    stop.signal,
  );
  running.catch(() => {});
  return { timers, handled, events, stop, running };
}

const until = (check: () => boolean, what: string) =>
  waitFor(() => (check() ? true : undefined), 10_000, what);

describe("relay client", () => {
  it("resumes after the stored cursor, sends the token, skips seqs already seen, acks in a batch", async () => {
    const relay = await testRelay();
    const client = startClient(relay, { storedCursor: () => 2 });
    await until(() => relay.connections.length === 1, "a connection");
    const connection = relay.connections[0];
    expect(connection?.after).toBe("2");
    expect(connection?.authorization).toBe("Bearer tok_secret");
    for (const seq of [2, 3, 4, 3, 5]) connection?.res.write(frame(relayed(seq, `body ${seq}`)));
    connection?.res.write(`event: caught-up\ndata: {"seq":5}\n\n`);
    await until(() => client.events.some((event) => event.kind === "caught-up"), "caught up");
    expect(client.handled).toEqual([
      { seq: 3, body: "body 3", previous: 2 },
      { seq: 4, body: "body 4", previous: 3 },
      { seq: 5, body: "body 5", previous: 4 },
    ]);
    expect(client.events[0]).toEqual({ kind: "connected", resumeAfter: 2, reconnect: false });
    expect(relay.acks).toEqual([]);
    client.timers.advance(200);
    await until(() => relay.acks.length === 1, "the batched ack");
    expect(relay.acks).toEqual([5]);
    // Nothing new: the same seq again as the heartbeat.
    client.timers.advance(heartbeatMs);
    await until(() => relay.acks.length === 2, "the heartbeat ack");
    expect(relay.acks).toEqual([5, 5]);
  });

  it("starts after the relay's acknowledged seq without a cursor, then resumes after what it captured", async () => {
    const relay = await testRelay();
    const client = startClient(relay);
    await until(() => relay.connections.length === 1, "a connection");
    expect(relay.connections[0]?.after).toBe("acked");
    for (const seq of [7, 8]) relay.connections[0]?.res.write(frame(relayed(seq, "x")));
    await until(() => client.handled.length === 2, "two requests");
    relay.connections[0]?.res.end();
    await until(() => client.events.some((event) => event.kind === "disconnected"), "the disconnect");
    const disconnected = client.events.find((event) => event.kind === "disconnected");
    expect(disconnected).toMatchObject({ reason: "the relay closed the stream", wasConnected: true });
    client.timers.advance(600);
    await until(() => relay.connections.length === 2, "the reconnect");
    expect(relay.connections[1]?.after).toBe("8");
    expect(client.events.filter((event) => event.kind === "connected").at(-1)).toMatchObject({
      reconnect: true,
      resumeAfter: 8,
    });
  });

  it("never passes on a body whose sha256 does not match: not acked, dropped, fetched again", async () => {
    const relay = await testRelay();
    const client = startClient(relay);
    await until(() => relay.connections.length === 1, "a connection");
    const connection = relay.connections[0];
    connection?.res.write(frame(relayed(1, "good")));
    connection?.res.write(frame(relayed(2, "tampered", "0".repeat(64))));
    connection?.res.write(frame(relayed(3, "after")));
    await until(() => client.events.some((event) => event.kind === "disconnected"), "the disconnect");
    expect(client.handled.map((one) => one.seq)).toEqual([1]);
    expect(client.events.find((event) => event.kind === "corrupt")).toMatchObject({
      seq: 2,
      expected: "0".repeat(64),
    });
    expect(client.events.find((event) => event.kind === "disconnected")).toMatchObject({
      reason: "request #2 failed its sha256 check",
    });
    await until(() => connection?.closed === true, "the dropped stream");
    client.timers.advance(200);
    await until(() => relay.acks.length === 1, "the ack of #1");
    client.timers.advance(600);
    await until(() => relay.connections.length === 2, "the reconnect");
    expect(relay.connections[1]?.after).toBe("1");
    expect(relay.acks).toEqual([1]);
  });

  it("does not acknowledge a request whose capture failed, nor any after it", async () => {
    const relay = await testRelay();
    const client = startClient(relay, { fail: [2] });
    await until(() => relay.connections.length === 1, "a connection");
    for (const seq of [1, 2, 3]) relay.connections[0]?.res.write(frame(relayed(seq, "x")));
    await until(() => client.events.some((event) => event.kind === "disconnected"), "the disconnect");
    expect(client.events.find((event) => event.kind === "disconnected")).toMatchObject({
      reason: "cannot capture request #2 (disk full)",
    });
    client.timers.advance(200);
    await until(() => relay.acks.length === 1, "the ack");
    expect(relay.acks).toEqual([1]);
  });

  it("drops a connection silent for three heartbeats and reconnects after a jittered backoff", async () => {
    const relay = await testRelay();
    const client = startClient(relay, { random: () => 0 });
    await until(() => relay.connections.length === 1, "a connection");
    client.timers.advance(2 * heartbeatMs);
    relay.connections[0]?.res.write(": ping\n\n");
    await new Promise((resolve) => setImmediate(resolve));
    // The ping counted as life: the three heartbeats start again from it.
    await until(() => client.timers.pending().includes(3 * heartbeatMs), "the watchdog re-armed");
    client.timers.advance(3 * heartbeatMs);
    await until(() => client.events.some((event) => event.kind === "disconnected"), "the disconnect");
    expect(client.events.find((event) => event.kind === "disconnected")).toMatchObject({
      reason: "nothing heard for 3s",
      retryInMs: 400,
    });
    await until(() => relay.connections[0]?.closed === true, "the dropped stream");
    client.timers.advance(400);
    await until(() => relay.connections.length === 2, "the reconnect");
  });

  it("backs off exponentially up to 30 s, within ±20 %", () => {
    const low = (attempt: number) => reconnectDelay(attempt, () => 0);
    const high = (attempt: number) => reconnectDelay(attempt, () => 0.999999);
    expect([0, 1, 2, 3].map((attempt) => reconnectDelay(attempt, () => 0.5))).toEqual([
      500, 1000, 2000, 4000,
    ]);
    expect(low(0)).toBe(400);
    expect(high(0)).toBe(600);
    expect(reconnectDelay(20, () => 0.5)).toBe(30_000);
    expect(low(20)).toBe(24_000);
    expect(high(20)).toBe(36_000);
    for (let attempt = 0; attempt < 12; attempt++) {
      for (const r of [0, 0.1, 0.37, 0.5, 0.81, 0.99]) {
        const base = Math.min(30_000, 500 * 2 ** attempt);
        const delay = reconnectDelay(attempt, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }
    }
  });

  it("keeps retrying while the relay cannot be reached or answers 503", async () => {
    const relay = await testRelay({ status: 503 });
    const client = startClient(relay);
    await until(() => client.events.some((event) => event.kind === "disconnected"), "the first failure");
    expect(client.events[0]).toMatchObject({ kind: "disconnected", wasConnected: false, retryInMs: 500 });
    expect((client.events[0] as { reason: string }).reason).toMatch(/^the relay answered 503/);
    client.timers.advance(500);
    await until(() => client.events.length === 2, "the second failure");
    expect(client.events[1]).toMatchObject({ kind: "disconnected", retryInMs: 1000 });
  });

  it.each([401, 404])("stops with a one-line usage error on %i, without retrying", async (status) => {
    const relay = await testRelay({ status });
    const client = startClient(relay);
    const error = await client.running.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(status === 404 ? /no channel "test"/ : /refused the token/);
    expect((error as Error).message).not.toContain("tok_secret");
    expect(client.events).toEqual([]);
  });
});
