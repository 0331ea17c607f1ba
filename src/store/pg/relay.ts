import type { RelayStore } from "../ports/relay.js";
import {
  type ChannelRequest,
  channelColumns,
  channelParams,
  type NewChannel,
  type RelayChannelRow,
  type RelayChannelStats,
  type RelayRequestRow,
  type StoreOutcome,
  storedSize,
} from "../relay.js";
import type { PgPool } from "./connect.js";
import { inTransaction, retryDeadlock } from "./transaction.js";

/** The NOTIFY channel a commit of relay requests announces their relay channels' names on. */
export const relayNewsChannel = "hookctl_relay";

/** As storedSize: the bytes of the headers' JSON and of the body. */
const storedSizeSql = "octet_length(headers) + octet_length(body)";

/**
 * store/relay.ts on PostgreSQL. Several relay processes may share the log: a group of requests
 * locks its channels' rows (in name order, so two groups never wait on each other in a cycle),
 * takes its seqs with one UPDATE … RETURNING and inserts the requests in the same transaction,
 * so each seq is given once and a 200 {seq} is only sent after the commit.
 */
export class PgRelayStore implements RelayStore {
  constructor(private readonly pool: PgPool) {}

  async insertChannel(channel: NewChannel): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO relay_channels (name, token_sha256, max_body_bytes, rate_per_second, max_stored_bytes, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING`,
      channelParams(channel),
    );
    return result.rowCount === 1;
  }

  async getChannel(name: string): Promise<RelayChannelRow | undefined> {
    const { rows } = await this.pool.query<RelayChannelRow>(
      `SELECT ${channelColumns} FROM relay_channels WHERE name = $1`,
      [name],
    );
    return rows[0];
  }

  async listChannels(): Promise<RelayChannelStats[]> {
    const { rows } = await this.pool.query<RelayChannelStats>(
      `SELECT ${channelColumns},
        (SELECT count(*) FROM relay_requests r WHERE r.channel = c.name) AS "storedCount"
       FROM relay_channels c ORDER BY name COLLATE "C"`,
    );
    return rows;
  }

  deleteChannel(name: string): Promise<number | undefined> {
    return inTransaction(this.pool, async (client) => {
      const requests = await client.query("DELETE FROM relay_requests WHERE channel = $1", [name]);
      const channel = await client.query("DELETE FROM relay_channels WHERE name = $1", [name]);
      return channel.rowCount === 1 ? (requests.rowCount ?? 0) : undefined;
    });
  }

  async setChannelToken(name: string, tokenSha256: string): Promise<boolean> {
    const result = await this.pool.query("UPDATE relay_channels SET token_sha256 = $1 WHERE name = $2", [
      tokenSha256,
      name,
    ]);
    return result.rowCount === 1;
  }

  async recordAck(name: string, seq: number, at: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE relay_channels SET acked_seq = greatest(acked_seq, least($1::bigint, next_seq - 1)), acked_at = $2
       WHERE name = $3`,
      [seq, at, name],
    );
    return result.rowCount === 1;
  }

  storeRequests(batch: readonly ChannelRequest[], defaultMaxStored: number): Promise<StoreOutcome[]> {
    return retryDeadlock(() =>
      inTransaction(this.pool, (client) => storeGroup(client, batch, defaultMaxStored)),
    );
  }

  async readRequestPage(channel: string, after: number, limit: number): Promise<RelayRequestRow[]> {
    const { rows } = await this.pool.query<Omit<RelayRequestRow, "headers"> & { headers: string }>(
      `SELECT channel, seq, received_at AS "receivedAt", method, path, query, headers, body, sha256
       FROM relay_requests WHERE channel = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [channel, after, limit],
    );
    return rows.map((row) => ({ ...row, headers: JSON.parse(row.headers) as [string, string][] }));
  }

  async pruneRequests(cutoff: number, batch: number): Promise<number> {
    const { rows } = await retryDeadlock(() =>
      this.pool.query<{ deleted: number }>(
        `WITH doomed AS (
           DELETE FROM relay_requests WHERE (channel, seq) IN (
             SELECT channel, seq FROM relay_requests WHERE received_at < $1
             ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING channel, ${storedSizeSql} AS size
         ), shrink AS (
           UPDATE relay_channels c SET stored_bytes = greatest(0, c.stored_bytes - d.size)
           FROM (SELECT channel, sum(size) AS size FROM doomed GROUP BY channel) d
           WHERE c.name = d.channel
         )
         SELECT count(*)::int AS deleted FROM doomed`,
        [cutoff, batch],
      ),
    );
    return rows[0]?.deleted ?? 0;
  }
}

interface Queryable {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

interface ChannelState {
  storedBytes: number;
  cap: number;
  taken: number;
  added: number;
}

/** requestWriter's `store` in the caller's transaction: each request's seq, or why not stored. */
async function storeGroup(
  client: Queryable,
  batch: readonly ChannelRequest[],
  defaultMaxStored: number,
): Promise<StoreOutcome[]> {
  const names = [...new Set(batch.map((item) => item.channel))].sort();
  const { rows } = await client.query<{
    name: string;
    stored_bytes: number;
    max_stored_bytes: number | null;
  }>(
    `SELECT name, stored_bytes, max_stored_bytes FROM relay_channels
     WHERE name = ANY($1::text[]) ORDER BY name COLLATE "C" FOR UPDATE`,
    [names],
  );
  const channels = new Map<string, ChannelState>(
    rows.map((row) => [
      row.name,
      { storedBytes: row.stored_bytes, cap: row.max_stored_bytes ?? defaultMaxStored, taken: 0, added: 0 },
    ]),
  );
  // Decided in arrival order, as SQLite's writer does: a request that does not fit is refused,
  // a smaller one after it may still fit.
  const placed = batch.map(({ channel, request }) => {
    const state = channels.get(channel);
    if (!state) return { kind: "unknown-channel" } as const;
    const headers = JSON.stringify(request.headers);
    const size = storedSize(headers, request.body);
    if (state.storedBytes + size > state.cap) {
      return { kind: "full", storedBytes: state.storedBytes, maxStoredBytes: state.cap } as const;
    }
    state.storedBytes += size;
    state.added += size;
    return { kind: "placed", channel, request, headers, offset: state.taken++ } as const;
  });
  const used = [...channels].filter(([, state]) => state.taken > 0);
  if (used.length === 0) return placed as StoreOutcome[];
  const { rows: firsts } = await client.query<{ name: string; first: number }>(
    `UPDATE relay_channels c SET next_seq = c.next_seq + u.n, stored_bytes = c.stored_bytes + u.bytes
     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(name, n, bytes)
     WHERE c.name = u.name RETURNING c.name, c.next_seq - u.n AS first`,
    [used.map(([name]) => name), used.map(([, state]) => state.taken), used.map(([, state]) => state.added)],
  );
  const first = new Map(firsts.map((row) => [row.name, row.first]));
  const outcomes: StoreOutcome[] = [];
  const stored: { channel: string; seq: number; request: ChannelRequest["request"]; headers: string }[] = [];
  for (const item of placed) {
    if (item.kind !== "placed") {
      outcomes.push(item);
      continue;
    }
    const seq = (first.get(item.channel) as number) + item.offset;
    stored.push({ channel: item.channel, seq, request: item.request, headers: item.headers });
    outcomes.push({ kind: "stored", seq });
  }
  // Delivered at the commit, once per channel: relay processes sharing the log wake their streams.
  await client.query(`SELECT pg_notify('${relayNewsChannel}', name) FROM unnest($1::text[]) AS name`, [
    used.map(([name]) => name),
  ]);
  await client.query(
    `INSERT INTO relay_requests (channel, seq, received_at, method, path, query, headers, body, sha256)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[],
       $7::text[], $8::bytea[], $9::text[])`,
    [
      stored.map((row) => row.channel),
      stored.map((row) => row.seq),
      stored.map((row) => row.request.receivedAt),
      stored.map((row) => row.request.method),
      stored.map((row) => row.request.path),
      stored.map((row) => row.request.query),
      stored.map((row) => row.headers),
      stored.map((row) => row.request.body),
      stored.map((row) => row.request.sha256),
    ],
  );
  return outcomes;
}
