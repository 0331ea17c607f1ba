import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { relayedRequest } from "../../src/relay/protocol.js";
import { deleteChannel, getChannel, setChannelToken, storeRequests } from "../../src/store/relay.js";
import { waitFor } from "../helpers/bin.js";
import { post, rawRequest, readStream, testRelay } from "./server-support.js";

const streamUrl = (base: string, channel: string, after: string | number = 0) =>
  `${base}/_relay/v1/channels/${channel}/stream?after=${after}`;

const ack = (base: string, channel: string, token: string, seq: number) =>
  fetch(`${base}/_relay/v1/channels/${channel}/ack`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ seq }),
  });

describe("relay server: ingress and streams", () => {
  it("answers 200 once stored, then streams the backlog in order, caught-up, live requests and pings", async () => {
    const relay = await testRelay({ pageSize: 2 });
    const token = relay.addChannel("gh");
    for (const n of [1, 2, 3]) {
      const response = await post(`${relay.url}/c/gh/hooks/${n}?n=${n}`, `{"n":${n}}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ seq: n });
    }
    const stream = await readStream(streamUrl(relay.url, "gh"), token);
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    const backlog = await stream.waitForRequests(3);
    for (const request of backlog) expect(relayedRequest.safeParse(request).success).toBe(true);
    expect(backlog.map((r) => [r.seq, r.path, r.query])).toEqual([
      [1, "/hooks/1", "n=1"],
      [2, "/hooks/2", "n=2"],
      [3, "/hooks/3", "n=3"],
    ]);
    expect(backlog[0]).toMatchObject({
      channel: "gh",
      method: "POST",
      bodyBase64: Buffer.from('{"n":1}').toString("base64"),
      sha256: createHash("sha256").update('{"n":1}').digest("hex"),
      receivedAt: "2026-01-01T00:00:00.000Z",
    });
    expect(stream.events.map((e) => e.id ?? e.event)).toEqual(["1", "2", "3", "caught-up"]);
    expect(JSON.parse((await stream.waitForEvent("caught-up")).data)).toEqual({ seq: 3 });
    expect((await post(`${relay.url}/c/gh`, "live")).status).toBe(200);
    const [, , , live] = await stream.waitForRequests(4);
    expect(live).toMatchObject({
      seq: 4,
      path: "/",
      query: "",
      bodyBase64: Buffer.from("live").toString("base64"),
    });
    await waitFor(() => (stream.pings >= 2 ? true : undefined), 10_000, "heartbeats");
  });

  it("with pollMs, streams requests another relay process stored in the shared log", async () => {
    const relay = await testRelay({ pollMs: 20, heartbeatMs: 60_000 });
    const token = relay.addChannel("gh");
    const stream = await readStream(streamUrl(relay.url, "gh"), token);
    await stream.waitForEvent("caught-up");
    // Written behind this relay's back, as another process on the same log would.
    const body = Buffer.from("elsewhere");
    const request = { receivedAt: 1, method: "POST", path: "/", query: "", headers: [], body, sha256: "00" };
    expect(storeRequests(relay.db, [{ channel: "gh", request }], 1024)).toEqual([{ kind: "stored", seq: 1 }]);
    const [polled] = await stream.waitForRequests(1);
    expect(polled).toMatchObject({ seq: 1, bodyBase64: body.toString("base64") });
  });

  it("refuses (409) to resume a stream after a seq the channel never reached: re-created channel, replaced log", async () => {
    const relay = await testRelay();
    const token = relay.addChannel("gh");
    for (const n of [1, 2]) expect((await post(`${relay.url}/c/gh`, `${n}`)).status).toBe(200);
    const ahead = await fetch(streamUrl(relay.url, "gh", 14), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ahead.status).toBe(409);
    expect(await ahead.text()).toBe(
      "cannot resume after #14: this channel's last request is #2 (the channel was added again, or the relay's log replaced)\n",
    );
    const atEnd = await readStream(streamUrl(relay.url, "gh", 2), token);
    expect(atEnd.status).toBe(200);
    await atEnd.waitForEvent("caught-up");
  });

  it("ends an open stream once its token is rotated (or the channel removed): nothing posted after reaches it", async () => {
    const relay = await testRelay({ heartbeatMs: 60_000 });
    const token = relay.addChannel("gh");
    const stream = await readStream(streamUrl(relay.url, "gh"), token);
    await stream.waitForEvent("caught-up");
    expect(setChannelToken(relay.db, "gh", "rotated")).toBe(true);
    expect((await post(`${relay.url}/c/gh`, "after the rotation")).status).toBe(200);
    expect(JSON.parse((await stream.waitForEvent("revoked")).data)).toEqual({ seq: 0 });
    await waitFor(() => (stream.ended ? true : undefined), 10_000, "the stream to end");
    expect(stream.requests()).toEqual([]);
  });

  it("notices a removed channel on a quiet stream at the next heartbeat", async () => {
    const relay = await testRelay({ heartbeatMs: 20 });
    const token = relay.addChannel("gh");
    const stream = await readStream(streamUrl(relay.url, "gh"), token);
    await stream.waitForEvent("caught-up");
    expect(deleteChannel(relay.db, "gh")).toBe(0);
    await stream.waitForEvent("revoked");
    await waitFor(() => (stream.ended ? true : undefined), 10_000, "the stream to end");
  });

  it("answers 503 with Retry-After, never 200 or 500, when the log cannot take the request", async () => {
    const relay = await testRelay();
    relay.addChannel("gh");
    relay.db.pragma("query_only = ON");
    const response = await post(`${relay.url}/c/gh/hooks`, '{"n":1}');
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.text()).toBe("not stored: the delivery log cannot be written\n");
    relay.db.pragma("query_only = OFF");
    expect((await post(`${relay.url}/c/gh/hooks`, '{"n":1}')).status).toBe(200);
  });

  it("gives every listener of a channel the whole stream, and only that channel's", async () => {
    const relay = await testRelay();
    const token = relay.addChannel("a");
    relay.addChannel("b");
    await post(`${relay.url}/c/a`, "one");
    const first = await readStream(streamUrl(relay.url, "a"), token);
    const second = await readStream(streamUrl(relay.url, "a"), token);
    await first.waitForEvent("caught-up");
    await second.waitForEvent("caught-up");
    await post(`${relay.url}/c/b`, "elsewhere");
    await post(`${relay.url}/c/a`, "two");
    for (const stream of [first, second]) {
      const requests = await stream.waitForRequests(2);
      expect(requests.map((r) => Buffer.from(r.bodyBase64, "base64").toString())).toEqual(["one", "two"]);
    }
    expect(relay.server.streams()).toBe(2);
  });

  it("keeps binary bodies, raw header names and repeated headers in order", async () => {
    const relay = await testRelay();
    const token = relay.addChannel("bin");
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a, 0x0d]);
    const answer = await rawRequest(
      relay.url,
      `PUT /c/bin/%E2%9C%93/x?a=1&a=2 HTTP/1.1\nHost: provider.test\nX-Tag: one\nx-other: 1\nX-TAG: two\nContent-Length: ${body.length}\nConnection: close\n\n`,
      body,
    );
    expect(answer).toMatch(/^HTTP\/1.1 200 /);
    const [stored] = await (await readStream(streamUrl(relay.url, "bin"), token)).waitForRequests(1);
    expect(stored?.method).toBe("PUT");
    expect(stored?.path).toBe("/%E2%9C%93/x");
    expect(stored?.query).toBe("a=1&a=2");
    expect(stored?.headers).toEqual([
      { name: "Host", value: "provider.test" },
      { name: "X-Tag", value: "one" },
      { name: "x-other", value: "1" },
      { name: "X-TAG", value: "two" },
      { name: "Content-Length", value: String(body.length) },
      { name: "Connection", value: "close" },
    ]);
    expect(Buffer.from(stored?.bodyBase64 ?? "", "base64").equals(body)).toBe(true);
    expect(stored?.sha256).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("stores GET and HEAD verification pings the same way", async () => {
    const relay = await testRelay();
    const token = relay.addChannel("ping");
    expect((await fetch(`${relay.url}/c/ping?challenge=abc`)).status).toBe(200);
    expect((await fetch(`${relay.url}/c/ping`, { method: "HEAD" })).status).toBe(200);
    const requests = await (await readStream(streamUrl(relay.url, "ping"), token)).waitForRequests(2);
    expect(requests.map((r) => [r.method, r.query, r.bodyBase64])).toEqual([
      ["GET", "challenge=abc", ""],
      ["HEAD", "", ""],
    ]);
  });

  it("refuses an unknown channel (404), a body over the cap (413), a full channel (507), a method it does not take (405)", async () => {
    const relay = await testRelay();
    relay.addChannel("small", { maxBodyBytes: 10, maxStoredBytes: 400 });
    const unknown = await post(`${relay.url}/c/nope`, "x");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("no such channel\n");
    expect((await post(`${relay.url}/c/Not_A_Name`, "x")).status).toBe(404);
    expect((await post(`${relay.url}/elsewhere`, "x")).status).toBe(404);
    const large = await post(`${relay.url}/c/small`, "01234567890");
    expect(large.status).toBe(413);
    expect(await large.text()).toMatch(/^the body is over channel small's 10-byte limit\n$/);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await post(`${relay.url}/c/small`, "0123456789")).status);
    expect(statuses.indexOf(507)).toBeGreaterThan(0);
    const stored = statuses.filter((s) => s === 200).length;
    expect(statuses).toEqual([...Array(stored).fill(200), ...Array(10 - stored).fill(507)]);
    const full = await post(`${relay.url}/c/small`, "x");
    expect(full.status).toBe(507);
    expect(await full.text()).toMatch(/^channel small is full \(\d+ of 400 bytes stored; .*\)\n$/);
    const channel = getChannel(relay.db, "small");
    expect(channel?.nextSeq).toBe(stored + 1);
    expect(channel?.storedBytes).toBeLessThanOrEqual(400);
    const options = await fetch(`${relay.url}/c/small`, { method: "OPTIONS" });
    expect(options.status).toBe(405);
    expect(options.headers.get("allow")).toContain("POST");
  });

  it("answers 429 with Retry-After over a channel's rate, and lets requests in again as the clock moves", async () => {
    const relay = await testRelay();
    relay.addChannel("slow", { ratePerSecond: 1 });
    // Rate 1/s bursts 2 requests.
    expect((await post(`${relay.url}/c/slow`, "a")).status).toBe(200);
    expect((await post(`${relay.url}/c/slow`, "b")).status).toBe(200);
    const refused = await post(`${relay.url}/c/slow`, "c");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.text()).toMatch(/over its rate of 1\/s/);
    relay.clock.now += 1000;
    expect((await post(`${relay.url}/c/slow`, "c")).status).toBe(200);
    expect(getChannel(relay.db, "slow")?.nextSeq).toBe(4);
  });

  it("needs the channel's token: missing, wrong and unknown channel are all 401", async () => {
    const relay = await testRelay();
    const token = relay.addChannel("gh");
    const other = relay.addChannel("other");
    for (const [channel, given] of [
      ["gh", undefined],
      ["gh", "wrong"],
      ["gh", other],
      ["nope", token],
    ] as const) {
      const stream = await readStream(streamUrl(relay.url, channel), given);
      expect(stream.status).toBe(401);
      expect(stream.headers["www-authenticate"]).toBe("Bearer");
      const acked = await fetch(`${relay.url}/_relay/v1/channels/${channel}/ack`, {
        method: "POST",
        headers: given === undefined ? {} : { authorization: `Bearer ${given}` },
        body: '{"seq":1}',
      });
      expect(acked.status).toBe(401);
    }
    expect((await readStream(streamUrl(relay.url, "gh", "soon"), token)).status).toBe(400);
    expect((await fetch(`${relay.url}/_relay/v1/channels/gh/stream`, { method: "POST" })).status).toBe(405);
  });

  it("keeps acks monotonic, never past the last seq, and starts after=acked after them", async () => {
    const relay = await testRelay();
    const token = relay.addChannel("gh");
    for (const n of [1, 2, 3]) await post(`${relay.url}/c/gh`, `r${n}`);
    expect((await ack(relay.url, "gh", token, 2)).status).toBe(204);
    expect(getChannel(relay.db, "gh")).toMatchObject({ ackedSeq: 2, ackedAt: relay.clock.now });
    relay.clock.now += 5000;
    expect((await ack(relay.url, "gh", token, 1)).status).toBe(204);
    expect(getChannel(relay.db, "gh")).toMatchObject({ ackedSeq: 2, ackedAt: relay.clock.now });
    expect((await ack(relay.url, "gh", token, 99)).status).toBe(204);
    expect(getChannel(relay.db, "gh")?.ackedSeq).toBe(3);
    const bad = await fetch(`${relay.url}/_relay/v1/channels/gh/ack`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: '{"seq":-1}',
    });
    expect(bad.status).toBe(400);
    await ack(relay.url, "gh", token, 2);
    const stream = await readStream(`${relay.url}/_relay/v1/channels/gh/stream?after=acked`, token);
    const caughtUp = await stream.waitForEvent("caught-up");
    expect(JSON.parse(caughtUp.data)).toEqual({ seq: 3 });
    expect(stream.requests()).toEqual([]);
  });

  it("streams a backlog larger than a page and a socket buffer, in order and complete", async () => {
    const relay = await testRelay({ pageSize: 16 });
    const token = relay.addChannel("big");
    const body = Buffer.alloc(32 * 1024, 7);
    await Promise.all(Array.from({ length: 120 }, () => post(`${relay.url}/c/big`, body)));
    const stream = await readStream(streamUrl(relay.url, "big"), token);
    const requests = await stream.waitForRequests(120);
    expect(requests.map((r) => r.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(JSON.parse((await stream.waitForEvent("caught-up")).data)).toEqual({ seq: 120 });
  });

  it("ends open streams cleanly when it stops", async () => {
    const relay = await testRelay();
    const token = relay.addChannel("gh");
    const stream = await readStream(streamUrl(relay.url, "gh"), token);
    await stream.waitForEvent("caught-up");
    await relay.server.close();
    await waitFor(() => (stream.ended ? true : undefined), 10_000, "the stream's end");
    expect(relay.server.streams()).toBe(0);
  });
});
