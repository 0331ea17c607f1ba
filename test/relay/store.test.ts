import { afterEach, describe, expect, it } from "vitest";
import { startRetention, sweepExpired } from "../../src/relay/retention.js";
import { type Db, openDb } from "../../src/store/open.js";
import {
  deleteChannel,
  getChannel,
  insertChannel,
  listChannels,
  pruneRequests,
  type RelayRequestInput,
  recordAck,
  requestPageReader,
  requestWriter,
  setChannelToken,
  storedSize,
} from "../../src/store/relay.js";
import { waitFor } from "../helpers/bin.js";
import { tempDb } from "../helpers/tmp.js";

const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function log(): Db {
  const db = openDb(tempDb());
  dbs.push(db);
  return db;
}

const t0 = Date.parse("2026-01-01T00:00:00.000Z");

function request(receivedAt: number, body = "body"): RelayRequestInput {
  return {
    receivedAt,
    method: "POST",
    path: "/",
    query: "",
    headers: [["Content-Type", "text/plain"]],
    body: Buffer.from(body),
    sha256: "00",
  };
}

const sizeOf = (r: RelayRequestInput) => storedSize(JSON.stringify(r.headers), r.body);

describe("relay store", () => {
  it("numbers each channel's requests from 1 without gaps, refusals taking no number", () => {
    const db = log();
    insertChannel(db, { name: "a", tokenSha256: "x", createdAt: t0 });
    insertChannel(db, {
      name: "b",
      tokenSha256: "y",
      createdAt: t0,
      maxStoredBytes: sizeOf(request(t0)) * 2,
    });
    expect(insertChannel(db, { name: "a", tokenSha256: "z", createdAt: t0 })).toBe(false);
    const { store } = requestWriter(db);
    const outcomes = store(
      [
        { channel: "a", request: request(t0) },
        { channel: "b", request: request(t0) },
        { channel: "a", request: request(t0) },
        { channel: "nope", request: request(t0) },
        { channel: "b", request: request(t0) },
        { channel: "b", request: request(t0) },
        { channel: "a", request: request(t0) },
      ],
      1024 * 1024,
    );
    expect(outcomes).toEqual([
      { kind: "stored", seq: 1 },
      { kind: "stored", seq: 1 },
      { kind: "stored", seq: 2 },
      { kind: "unknown-channel" },
      { kind: "stored", seq: 2 },
      { kind: "full", storedBytes: sizeOf(request(t0)) * 2, maxStoredBytes: sizeOf(request(t0)) * 2 },
      { kind: "stored", seq: 3 },
    ]);
    expect(store([{ channel: "b", request: request(t0, "") }], 1)).toEqual([
      { kind: "full", storedBytes: sizeOf(request(t0)) * 2, maxStoredBytes: sizeOf(request(t0)) * 2 },
    ]);
    const read = requestPageReader(db);
    expect(read("a", 0, 10).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(read("a", 1, 1).map((r) => r.seq)).toEqual([2]);
    expect(read("a", 0, 1)[0]).toMatchObject({ channel: "a", headers: [["Content-Type", "text/plain"]] });
    expect(listChannels(db).map((c) => [c.name, c.storedCount, c.storedBytes, c.nextSeq])).toEqual([
      ["a", 3, sizeOf(request(t0)) * 3, 4],
      ["b", 2, sizeOf(request(t0)) * 2, 3],
    ]);
  });

  it("uses the relay's default cap when the channel sets none", () => {
    const db = log();
    insertChannel(db, { name: "a", tokenSha256: "x", createdAt: t0 });
    const { store } = requestWriter(db);
    const size = sizeOf(request(t0));
    expect(store([{ channel: "a", request: request(t0) }], size).map((o) => o.kind)).toEqual(["stored"]);
    expect(store([{ channel: "a", request: request(t0) }], size).map((o) => o.kind)).toEqual(["full"]);
  });

  it("prunes old requests in batches and keeps stored_bytes right", async () => {
    const db = log();
    insertChannel(db, { name: "a", tokenSha256: "x", createdAt: t0 });
    insertChannel(db, { name: "b", tokenSha256: "y", createdAt: t0 });
    const { store } = requestWriter(db);
    const batch = Array.from({ length: 10 }, (_, i) => ({
      channel: i % 2 === 0 ? "a" : "b",
      request: request(t0 + i * 1000, "x".repeat(i)),
    }));
    store(batch, 1024 * 1024);
    expect(pruneRequests(db, t0 + 2000, 100)).toBe(2);
    expect(getChannel(db, "a")?.storedBytes).toBe(
      batch.filter((r, i) => r.channel === "a" && i >= 2).reduce((sum, r) => sum + sizeOf(r.request), 0),
    );
    // Clock at t0 + 10 s, keep 4 s: everything received before t0 + 6 s goes, 3 at a time.
    const deleted = await sweepExpired({
      store: { pruneRequests: async (cutoff, batch) => pruneRequests(db, cutoff, batch) },
      now: () => t0 + 10_000,
      keepMs: 4000,
      batch: 3,
    });
    expect(deleted).toBe(4);
    const left = requestPageReader(db);
    expect(left("a", 0, 10).map((r) => r.seq)).toEqual([4, 5]);
    expect(left("b", 0, 10).map((r) => r.seq)).toEqual([4, 5]);
    for (const name of ["a", "b"]) {
      const expected = batch
        .filter((r, i) => r.channel === name && i >= 6)
        .reduce((sum, r) => sum + sizeOf(r.request), 0);
      expect(getChannel(db, name)?.storedBytes).toBe(expected);
    }
    // Numbering carries on after a prune.
    expect(store([{ channel: "a", request: request(t0) }], 1024 * 1024)).toEqual([
      { kind: "stored", seq: 6 },
    ]);
  });

  it("sweeps on start and on its timer, by the injected clock", async () => {
    const db = log();
    insertChannel(db, { name: "a", tokenSha256: "x", createdAt: t0 });
    const { store } = requestWriter(db);
    store([{ channel: "a", request: request(t0) }], 1024 * 1024);
    const clock = { now: t0 + 1000 };
    const count = () => db.prepare("SELECT count(*) FROM relay_requests").pluck().get() as number;
    const retention = startRetention({
      store: { pruneRequests: async (cutoff, batch) => pruneRequests(db, cutoff, batch) },
      now: () => clock.now,
      keepMs: 5000,
      everyMs: 10,
      batch: 2,
    });
    try {
      store([{ channel: "a", request: request(t0 + 2000) }], 1024 * 1024);
      clock.now = t0 + 6500;
      await waitFor(() => (count() === 1 ? true : undefined), 10_000, "the first request to expire");
      clock.now = t0 + 7500;
      await waitFor(() => (count() === 0 ? true : undefined), 10_000, "the second request to expire");
      expect(getChannel(db, "a")?.storedBytes).toBe(0);
    } finally {
      await retention.stop();
    }
  });

  it("lists no channels in a log without the relay's tables", () => {
    const db = log();
    db.exec("DROP TABLE relay_requests; DROP TABLE relay_channels");
    expect(listChannels(db)).toEqual([]);
  });

  it("records acks forward only and at most the last seq; rotates tokens; removes a channel with its requests", () => {
    const db = log();
    insertChannel(db, { name: "a", tokenSha256: "x", createdAt: t0 });
    requestWriter(db).store(
      [1, 2, 3].map(() => ({ channel: "a", request: request(t0) })),
      1024 * 1024,
    );
    expect(recordAck(db, "a", 2, t0 + 1)).toBe(true);
    expect(recordAck(db, "a", 1, t0 + 2)).toBe(true);
    expect(getChannel(db, "a")).toMatchObject({ ackedSeq: 2, ackedAt: t0 + 2 });
    recordAck(db, "a", 50, t0 + 3);
    expect(getChannel(db, "a")?.ackedSeq).toBe(3);
    expect(recordAck(db, "nope", 1, t0)).toBe(false);
    expect(setChannelToken(db, "a", "new")).toBe(true);
    expect(getChannel(db, "a")?.tokenSha256).toBe("new");
    expect(setChannelToken(db, "nope", "new")).toBe(false);
    expect(deleteChannel(db, "a")).toBe(3);
    expect(deleteChannel(db, "a")).toBeUndefined();
    expect(db.prepare("SELECT count(*) FROM relay_requests").pluck().get()).toBe(0);
  });
});
