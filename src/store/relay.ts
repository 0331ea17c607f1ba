import type { Db } from "./open.js";

/**
 * The relay's tables: channels (a token's sha256, caps, the next seq, the last ack, stored
 * bytes) and the requests stored for them. A request's stored size counts its body and its
 * headers as kept, so a flood of empty bodies with large headers still fills a channel.
 */
export interface RelayChannelRow {
  name: string;
  tokenSha256: string;
  /** Null: the relay's default. */
  maxBodyBytes: number | null;
  ratePerSecond: number | null;
  maxStoredBytes: number | null;
  nextSeq: number;
  ackedSeq: number;
  ackedAt: number | null;
  storedBytes: number;
  createdAt: number;
}

export interface RelayChannelStats extends RelayChannelRow {
  storedCount: number;
}

export interface RelayRequestInput {
  receivedAt: number;
  method: string;
  path: string;
  query: string;
  /** As req.rawHeaders gives them, paired: order and repeats kept. */
  headers: [string, string][];
  body: Buffer;
  sha256: string;
}

export interface RelayRequestRow extends RelayRequestInput {
  channel: string;
  seq: number;
}

/** What storing one request came to: its seq, or why it was not stored. */
export type StoreOutcome =
  | { kind: "stored"; seq: number }
  | { kind: "unknown-channel" }
  | { kind: "full"; storedBytes: number; maxStoredBytes: number };

/** A channel's columns as RelayChannelRow (quoted: PostgreSQL would fold the names to lower case). */
export const channelColumns = `name, token_sha256 AS "tokenSha256", max_body_bytes AS "maxBodyBytes",
  rate_per_second AS "ratePerSecond", max_stored_bytes AS "maxStoredBytes", next_seq AS "nextSeq",
  acked_seq AS "ackedSeq", acked_at AS "ackedAt", stored_bytes AS "storedBytes", created_at AS "createdAt"`;

/** The size a request counts for against its channel's stored-bytes cap (see storedSizeSql). */
export function storedSize(headersJson: string, body: Buffer): number {
  return Buffer.byteLength(headersJson) + body.length;
}
const storedSizeSql = "length(CAST(headers AS BLOB)) + length(body)";

export interface NewChannel {
  name: string;
  tokenSha256: string;
  maxBodyBytes?: number | null;
  ratePerSecond?: number | null;
  maxStoredBytes?: number | null;
  createdAt: number;
}

/** False when a channel of that name exists already. */
export function insertChannel(db: Db, channel: NewChannel): boolean {
  const result = db
    .prepare(
      `INSERT INTO relay_channels (name, token_sha256, max_body_bytes, rate_per_second, max_stored_bytes, created_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
    )
    .run(...channelParams(channel));
  return result.changes === 1;
}

/** A new channel's values, in insertChannel's column order (both backends). */
export function channelParams(channel: NewChannel): unknown[] {
  return [
    channel.name,
    channel.tokenSha256,
    channel.maxBodyBytes ?? null,
    channel.ratePerSecond ?? null,
    channel.maxStoredBytes ?? null,
    channel.createdAt,
  ];
}

export function getChannel(db: Db, name: string): RelayChannelRow | undefined {
  return db.prepare(`SELECT ${channelColumns} FROM relay_channels WHERE name = ?`).get(name) as
    | RelayChannelRow
    | undefined;
}

/** Every channel with how many requests it holds, by name. */
export function listChannels(db: Db): RelayChannelStats[] {
  // A log an older hookctl wrote, opened read-only (so not migrated), has no relay yet.
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'relay_channels'").get() === undefined) return [];
  return db
    .prepare(
      `SELECT ${channelColumns},
        (SELECT count(*) FROM relay_requests r WHERE r.channel = c.name) AS storedCount
       FROM relay_channels c ORDER BY name`,
    )
    .all() as RelayChannelStats[];
}

/** The channel and its stored requests: how many requests went, undefined when there was no channel. */
export function deleteChannel(db: Db, name: string): number | undefined {
  return db.transaction(() => {
    // Explicitly, not only by the cascade: foreign keys may be off on another connection.
    const requests = db.prepare("DELETE FROM relay_requests WHERE channel = ?").run(name).changes;
    return db.prepare("DELETE FROM relay_channels WHERE name = ?").run(name).changes === 1
      ? requests
      : undefined;
  })();
}

/** False when there is no such channel. */
export function setChannelToken(db: Db, name: string, tokenSha256: string): boolean {
  return (
    db.prepare("UPDATE relay_channels SET token_sha256 = ? WHERE name = ?").run(tokenSha256, name).changes ===
    1
  );
}

/**
 * The acked seq only moves forward, and never past the last stored seq (a listener's cursor
 * from an older log must not make `after=acked` skip requests to come). False: no such channel.
 */
export function recordAck(db: Db, name: string, seq: number, at: number): boolean {
  return (
    db
      .prepare(
        "UPDATE relay_channels SET acked_seq = max(acked_seq, min(?, next_seq - 1)), acked_at = ? WHERE name = ?",
      )
      .run(seq, at, name).changes === 1
  );
}

/**
 * A writer of requests on one connection, its statements prepared once. `store` takes several
 * requests (a group commit) in one transaction: each gets the channel's next seq or a refusal,
 * and nothing is answered before the whole transaction has committed.
 */
export function requestWriter(db: Db) {
  const channelOf = db.prepare(
    "SELECT next_seq AS nextSeq, stored_bytes AS storedBytes, max_stored_bytes AS maxStoredBytes FROM relay_channels WHERE name = ?",
  );
  const advance = db.prepare(
    "UPDATE relay_channels SET next_seq = next_seq + 1, stored_bytes = stored_bytes + ? WHERE name = ?",
  );
  const insert = db.prepare(
    `INSERT INTO relay_requests (channel, seq, received_at, method, path, query, headers, body, sha256)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const storeAll = db.transaction((batch: readonly ChannelRequest[], defaultMaxStored: number) =>
    batch.map(({ channel, request }): StoreOutcome => {
      const row = channelOf.get(channel) as
        | { nextSeq: number; storedBytes: number; maxStoredBytes: number | null }
        | undefined;
      if (!row) return { kind: "unknown-channel" };
      const headers = JSON.stringify(request.headers);
      const size = storedSize(headers, request.body);
      const cap = row.maxStoredBytes ?? defaultMaxStored;
      if (row.storedBytes + size > cap) {
        return { kind: "full", storedBytes: row.storedBytes, maxStoredBytes: cap };
      }
      advance.run(size, channel);
      insert.run(
        channel,
        row.nextSeq,
        request.receivedAt,
        request.method,
        request.path,
        request.query,
        headers,
        request.body,
        request.sha256,
      );
      return { kind: "stored", seq: row.nextSeq };
    }),
  );
  return { store: storeAll };
}

export interface ChannelRequest {
  channel: string;
  request: RelayRequestInput;
}

// The relay writes and reads pages all day: statements are prepared once per connection.
const writers = new WeakMap<Db, ReturnType<typeof requestWriter>>();
const pageReaders = new WeakMap<Db, ReturnType<typeof requestPageReader>>();

/** Store a group of requests in one transaction (requestWriter's `store`, on a cached writer). */
export function storeRequests(
  db: Db,
  batch: readonly ChannelRequest[],
  defaultMaxStored: number,
): StoreOutcome[] {
  let writer = writers.get(db);
  if (!writer) {
    writer = requestWriter(db);
    writers.set(db, writer);
  }
  return writer.store(batch, defaultMaxStored);
}

/** One page of a channel's stream (requestPageReader, on a cached statement). */
export function readRequestPage(db: Db, channel: string, after: number, limit: number): RelayRequestRow[] {
  let read = pageReaders.get(db);
  if (!read) {
    read = requestPageReader(db);
    pageReaders.set(db, read);
  }
  return read(channel, after, limit);
}

/** Up to `limit` stored requests of a channel with seq > after, in order: one page of a stream. */
export function requestPageReader(db: Db) {
  const page = db.prepare(
    `SELECT channel, seq, received_at AS receivedAt, method, path, query, headers, body, sha256
     FROM relay_requests WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  return (channel: string, after: number, limit: number): RelayRequestRow[] =>
    (page.all(channel, after, limit) as (Omit<RelayRequestRow, "headers"> & { headers: string })[]).map(
      (row) => ({ ...row, headers: JSON.parse(row.headers) as [string, string][] }),
    );
}

/**
 * Delete up to `batch` requests received before `cutoff` (oldest first) in one short
 * transaction, taking their size off their channels' stored bytes. Returns how many went; the
 * caller repeats while a whole batch went, so no single transaction holds the log for long.
 */
export function pruneRequests(db: Db, cutoff: number, batch: number): number {
  return db.transaction(() => {
    const doomed = db
      .prepare(
        `SELECT channel, seq, ${storedSizeSql} AS size FROM relay_requests
         WHERE received_at < ? ORDER BY received_at LIMIT ?`,
      )
      .all(cutoff, batch) as { channel: string; seq: number; size: number }[];
    const remove = db.prepare("DELETE FROM relay_requests WHERE channel = ? AND seq = ?");
    const shrink = db.prepare(
      "UPDATE relay_channels SET stored_bytes = max(0, stored_bytes - ?) WHERE name = ?",
    );
    for (const row of doomed) {
      remove.run(row.channel, row.seq);
      shrink.run(row.size, row.channel);
    }
    return doomed.length;
  })();
}

/** The relay store's queries as functions of the log: the SQLite side of its port. */
export const sqliteRelayQueries = {
  deleteChannel,
  getChannel,
  insertChannel,
  listChannels,
  pruneRequests,
  readRequestPage,
  recordAck,
  setChannelToken,
  storeRequests,
};
