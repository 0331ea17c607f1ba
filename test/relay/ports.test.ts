import { randomBytes } from "node:crypto";
import { type AddressInfo, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { createStoreCapture } from "../../src/receiver/capture.js";
import { startRelayServer } from "../../src/relay/server.js";
import { newChannelToken } from "../../src/relay/token.js";
import { type LogHandle, openLog } from "../../src/store/log-handle.js";
import { type ReceivedStore, receivedStoreOf } from "../../src/store/ports/received.js";
import { type RelayStore, relayNewsOf, relayStoreOf } from "../../src/store/ports/relay.js";
import type { ReceivedRecord } from "../../src/store/received.js";
import { type RelayRequestInput, storedSize } from "../../src/store/relay.js";
import { capturedRequest } from "../helpers/captured.js";
import { postgresForFile } from "../helpers/pg.js";
import { tempDb } from "../helpers/tmp.js";
import { post, startTestReceiver } from "../receiver/support.js";
import { readStream } from "./server-support.js";

const pg = postgresForFile();
const t0 = Date.parse("2026-01-01T00:00:00.000Z");

async function logOn(backend: "sqlite" | "postgres"): Promise<LogHandle> {
  const log = await openLog(backend === "sqlite" ? tempDb() : await pg.database());
  pg.defer(() => log.close());
  return log;
}

function record(id: string, overrides: Partial<ReceivedRecord> = {}): ReceivedRecord {
  return capturedRequest({
    id,
    receivedAt: t0,
    path: "/hooks?x=1",
    headers: [
      ["Content-Type", "application/octet-stream"],
      ["X-Repeat", "1"],
      ["x-repeat", "2"],
    ],
    body: Buffer.from([0, 255, 10, 13, 0x80]),
    durationMs: 1.25,
    ...overrides,
  });
}

/** The same captures on either backend; what the store answers, for comparing the two. */
async function receivedScenario(store: ReceivedStore) {
  const source = "http://relay.test/c/a";
  // Ids out of order within one millisecond: listing follows arrival, not ids.
  await store.captureReceived(
    [
      record("rcv_c", { deliveryId: "dlv_1", eventType: "order.created" }),
      record("rcv_a", { verification: "invalid", verificationReason: "no match", duplicate: true }),
    ],
    [
      { source, seq: 1, previous: null, at: t0 },
      { source, seq: 2, previous: 1, at: t0 },
    ],
  );
  await store.captureReceived(
    [record("rcv_b", { deliveryId: "dlv_1", body: Buffer.alloc(0), responseStatus: null })],
    [{ source, seq: 3, previous: 2, at: t0 + 1 }],
  );
  const afterThree = await store.readRelayCursor(source);
  // A move from a seq the cursor is not at (an earlier write failed) leaves it put.
  await store.captureReceived([record("rcv_d")], [{ source, seq: 9, previous: 7, at: t0 + 2 }]);
  // A failed group commits nothing: neither its captures nor its cursor.
  const failed = await store
    .captureReceived([record("rcv_e"), record("rcv_a")], [{ source, seq: 4, previous: 3, at: t0 + 3 }])
    .then(
      () => "committed",
      () => "rolled back",
    );
  return {
    list: await store.listReceived(),
    limited: await store.listReceived({ limit: 2 }),
    byDelivery: await store.listReceived({ deliveryId: "dlv_1" }),
    one: await store.getReceived("rcv_c"),
    empty: await store.getReceived("rcv_b"),
    missing: await store.getReceived("rcv_zz"),
    afterThree,
    failed,
    cursor: await store.readRelayCursor(source),
    none: await store.readRelayCursor("http://relay.test/c/other"),
    // listen --from-start: the cursor goes, the captures stay.
    forgotten: await store.forgetRelayCursor(source).then(() => store.readRelayCursor(source)),
    stillListed: (await store.listReceived()).length,
  };
}

function request(receivedAt: number, body = "body"): RelayRequestInput {
  return {
    receivedAt,
    method: "POST",
    path: "/p",
    query: "a=1",
    headers: [
      ["Content-Type", "text/plain"],
      ["X-Émoji", "✓"],
    ],
    body: Buffer.from(body),
    sha256: "00",
  };
}

const sizeOf = (r: RelayRequestInput) => storedSize(JSON.stringify(r.headers), r.body);

async function relayScenario(store: RelayStore) {
  const added = [
    await store.insertChannel({
      name: "b-2",
      tokenSha256: "y",
      createdAt: t0,
      maxStoredBytes: sizeOf(request(t0)) * 2,
    }),
    await store.insertChannel({
      name: "a_1",
      tokenSha256: "x",
      createdAt: t0,
      maxBodyBytes: 10,
      ratePerSecond: 2.5,
    }),
    await store.insertChannel({ name: "a_1", tokenSha256: "z", createdAt: t0 }),
  ];
  const outcomes = await store.storeRequests(
    [
      { channel: "a_1", request: request(t0) },
      { channel: "b-2", request: request(t0 + 1) },
      { channel: "nope", request: request(t0) },
      { channel: "b-2", request: request(t0 + 2) },
      { channel: "b-2", request: request(t0 + 3) },
      { channel: "a_1", request: request(t0 + 4, "") },
    ],
    1024 * 1024,
  );
  const next = await store.storeRequests([{ channel: "a_1", request: request(t0 + 5, "\u0000bin") }], 1024);
  const page = await store.readRequestPage("a_1", 1, 10);
  const acks = [
    await store.recordAck("a_1", 2, t0 + 10),
    // Never backwards, never past the last stored seq.
    await store.recordAck("a_1", 1, t0 + 11),
    await store.recordAck("b-2", 99, t0 + 12),
    await store.recordAck("nope", 1, t0),
  ];
  const beforePrune = await store.listChannels();
  const pruned = [await store.pruneRequests(t0 + 2, 1), await store.pruneRequests(t0 + 2, 10)];
  const rotated = [await store.setChannelToken("a_1", "new"), await store.setChannelToken("nope", "n")];
  const afterPrune = await store.listChannels();
  const deleted = [await store.deleteChannel("b-2"), await store.deleteChannel("b-2")];
  return {
    added,
    outcomes,
    next,
    page,
    acks,
    beforePrune,
    pruned,
    rotated,
    afterPrune,
    one: await store.getChannel("a_1"),
    missing: await store.getChannel("b-2"),
    deleted,
    left: await store.listChannels(),
  };
}

describe("received and relay ports, and listen's capture, on SQLite and PostgreSQL", () => {
  it("capture, list and read captured requests alike; a cursor moves only with its captures", async () => {
    const sqlite = await receivedScenario(receivedStoreOf(await logOn("sqlite")));
    const postgres = await receivedScenario(receivedStoreOf(await logOn("postgres")));
    expect(sqlite.list.map((row) => row.id)).toEqual(["rcv_d", "rcv_b", "rcv_a", "rcv_c"]);
    expect(sqlite.limited.map((row) => row.id)).toEqual(["rcv_d", "rcv_b"]);
    expect(sqlite.byDelivery.map((row) => row.id)).toEqual(["rcv_b", "rcv_c"]);
    expect(sqlite.one?.body).toEqual(Buffer.from([0, 255, 10, 13, 0x80]));
    expect(sqlite.list[0]?.size).toBe(5);
    expect(sqlite).toMatchObject({
      afterThree: 3,
      failed: "rolled back",
      cursor: 3,
      none: null,
      missing: undefined,
      forgotten: null,
      stillListed: 4,
    });
    expect(postgres).toEqual(sqlite);
  });

  it("number, cap, page, acknowledge, prune and remove relay requests alike", async () => {
    const sqlite = await relayScenario(relayStoreOf(await logOn("sqlite")));
    const postgres = await relayScenario(relayStoreOf(await logOn("postgres")));
    expect(sqlite.added).toEqual([true, true, false]);
    expect(sqlite.outcomes).toEqual([
      { kind: "stored", seq: 1 },
      { kind: "stored", seq: 1 },
      { kind: "unknown-channel" },
      { kind: "stored", seq: 2 },
      { kind: "full", storedBytes: sizeOf(request(t0)) * 2, maxStoredBytes: sizeOf(request(t0)) * 2 },
      { kind: "stored", seq: 2 },
    ]);
    expect(sqlite.next).toEqual([{ kind: "stored", seq: 3 }]);
    expect(sqlite.page.map((row) => [row.seq, row.body.toString()])).toEqual([
      [2, ""],
      [3, "\u0000bin"],
    ]);
    expect(sqlite.acks).toEqual([true, true, true, false]);
    expect(sqlite.beforePrune.map((c) => [c.name, c.storedCount, c.ackedSeq])).toEqual([
      ["a_1", 3, 2],
      ["b-2", 2, 2],
    ]);
    expect(sqlite.pruned).toEqual([1, 1]);
    expect(sqlite.deleted).toEqual([1, undefined]);
    expect(sqlite.one).toMatchObject({
      tokenSha256: "new",
      maxBodyBytes: 10,
      ratePerSecond: 2.5,
      nextSeq: 4,
    });
    expect(postgres).toEqual(sqlite);
  });

  it("gives each seq once when two relay processes store into one channel at the same time", async () => {
    const url = await pg.database();
    const logs = [await openLog(url, { poolSize: 4 }), await openLog(url, { poolSize: 4 })];
    for (const log of logs) pg.defer(() => log.close());
    const [first, second] = logs.map(relayStoreOf) as [RelayStore, RelayStore];
    await first.insertChannel({ name: "c", tokenSha256: "x", createdAt: t0 });
    await first.insertChannel({ name: "d", tokenSha256: "x", createdAt: t0 });
    const groups = Array.from({ length: 24 }, (_, group) =>
      (group % 2 === 0 ? first : second).storeRequests(
        Array.from({ length: 5 }, (_, i) => ({
          // Both channels in one group, in either order: the locks are taken in name order.
          channel: (group + i) % 2 === 0 ? "c" : "d",
          request: request(t0 + group, `${group}.${i}`),
        })),
        1024 * 1024,
      ),
    );
    const outcomes = (await Promise.all(groups)).flat();
    expect(outcomes.every((outcome) => outcome.kind === "stored")).toBe(true);
    for (const channel of ["c", "d"]) {
      const rows = await first.readRequestPage(channel, 0, 1000);
      expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      const meta = await second.getChannel(channel);
      expect(meta?.nextSeq).toBe(61);
      expect(meta?.storedBytes).toBe(rows.reduce((sum, row) => sum + sizeOf(row), 0));
    }
  });

  it("a relay on a shared PostgreSQL log streams what another relay process stored as it commits (NOTIFY, no polling)", async () => {
    const url = await pg.database();
    const logs = [await openLog(url, { poolSize: 4 }), await openLog(url, { poolSize: 4 })];
    for (const log of logs) pg.defer(() => log.close());
    const [mine, other] = logs as [LogHandle, LogHandle];
    const { token, sha256 } = newChannelToken(randomBytes);
    await relayStoreOf(mine).insertChannel({ name: "gh", tokenSha256: sha256, createdAt: t0 });
    const server = await startRelayServer({
      store: relayStoreOf(mine),
      news: relayNewsOf(mine),
      now: () => t0,
      host: "127.0.0.1",
      port: 0,
      defaults: { maxBodyBytes: 1024 * 1024, ratePerSecond: 1000, maxStoredBytes: 64 * 1024 * 1024 },
      heartbeatMs: 60_000,
    });
    pg.defer(() => server.close());
    const stream = await readStream(`${server.url}/_relay/v1/channels/gh/stream?after=0`, token);
    await stream.waitForEvent("caught-up");
    // The other process's commit is this relay's only news: no pollMs is set.
    const stored = await relayStoreOf(other).storeRequests(
      [{ channel: "gh", request: request(t0, "elsewhere") }],
      1024 * 1024,
    );
    expect(stored).toEqual([{ kind: "stored", seq: 1 }]);
    const [heard] = await stream.waitForRequests(1);
    expect(heard).toMatchObject({ seq: 1, bodyBase64: Buffer.from("elsewhere").toString("base64") });
    expect(relayNewsOf(await logOn("sqlite"))).toBeUndefined();
  });

  it("a relay on PostgreSQL that cannot listen (port taken) fails to start and leaves no connection checked out", async () => {
    const url = await pg.database();
    const log = await openLog(url, { poolSize: 4 });
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    pg.defer(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as AddressInfo).port;
    const started = startRelayServer({
      store: relayStoreOf(log),
      news: relayNewsOf(log),
      now: () => t0,
      host: "127.0.0.1",
      port,
      defaults: { maxBodyBytes: 1024, ratePerSecond: 10, maxStoredBytes: 1024 * 1024 },
    });
    await expect(started).rejects.toThrow(/EADDRINUSE|in use/);
    // Ends, rather than wait forever for a LISTEN connection nobody gives back.
    await log.close();
  });

  it("listen's capture on PostgreSQL: 2xx only once committed, 503 while the log refuses, then captured", async () => {
    const log = await logOn("postgres");
    const store = receivedStoreOf(log);
    const { url, receiver } = await startTestReceiver({}, { capture: createStoreCapture(store) });
    const seen: number[] = [];
    const replies = await Promise.all(
      Array.from({ length: 43 }, async (_, i) => {
        const reply = await post(url, `{"n":${i}}`, { "X-Webhook-Delivery-ID": `dlv_${i}` });
        // Looked up the moment the answer arrives: it is already committed.
        seen.push((await store.listReceived({ deliveryId: `dlv_${i}` })).length);
        return reply.status;
      }),
    );
    expect(replies.every((status) => status === 200)).toBe(true);
    expect(seen).toEqual(Array(43).fill(1));
    if (log.backend !== "postgres") return;
    await log.pool.query("ALTER TABLE received RENAME TO received_away");
    const refused = await post(url, "{}", { "X-Webhook-Delivery-ID": "dlv_refused" });
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("5");
    await log.pool.query("ALTER TABLE received_away RENAME TO received");
    expect((await post(url, "{}", { "X-Webhook-Delivery-ID": "dlv_refused" })).status).toBe(200);
    await receiver.close();
    const rows = await store.listReceived({ limit: 100 });
    expect(rows).toHaveLength(44);
    expect(rows[0]).toMatchObject({ deliveryId: "dlv_refused", responseStatus: 200, duplicate: false });
  });
});
