import type pg from "pg";
import { newDeliveryParams } from "../deliveries.js";
import type { DeliveryPageQuery } from "../delivery-page.js";
import { type EndpointRow, toEndpoint } from "../endpoints.js";
import type {
  Admission,
  AdmitOptions,
  IncomingEvent,
  PlannedEvent,
  RequestOutcome,
  RetryOutcome,
} from "../outbox.js";
import type { OutboxStats } from "../outbox-stats.js";
import type { OutboxStore } from "../ports/outbox.js";
import type { StatusCounts } from "../queue.js";
import type { PgPool } from "./connect.js";
import { pgDeliveryPage, pgListItem } from "./delivery-page.js";
import { newDeliveryColumns, notifyIfAny, Params, unnest } from "./exchange-sql.js";
import { inTransaction, retryDeadlock } from "./transaction.js";

type Raw = Record<string, unknown>;

/**
 * `serve`'s outbox on a PostgreSQL log, which several `serve` processes may share. Admission is
 * store/outbox.ts's, with the idempotency key's primary key as the arbiter between processes:
 * each key is claimed with INSERT … ON CONFLICT, so two processes racing on one key make one
 * event (the second waits for the first's commit, then finds its row: a duplicate or a 422).
 */
export class PgOutbox implements OutboxStore {
  constructor(private readonly pool: PgPool) {}

  /**
   * The requests of one group in ONE transaction; each keyed request in a savepoint, so one
   * refused for a reused key leaves the others standing. A request is one statement (its keys,
   * events and deliveries as arrays); committed work wakes every engine on the log (NOTIFY).
   * Two groups claiming the same keys in another order may deadlock: the server rolls one back,
   * and it runs again whole.
   */
  admitRequests(
    requests: readonly (readonly IncomingEvent[])[],
    options: AdmitOptions,
  ): Promise<RequestOutcome[]> {
    return retryDeadlock(() =>
      inTransaction(this.pool, async (client) => {
        const { rows } = await client.query<Raw>('SELECT * FROM endpoints ORDER BY name COLLATE "C"');
        const endpoints = rows.map(toEndpoint);
        const outcomes: RequestOutcome[] = [];
        for (const events of requests) {
          const keyed = events.some((event) => event.idempotency !== null);
          if (keyed) await client.query("SAVEPOINT hookctl_request");
          const outcome = await admitRequest(client, events, endpoints, options);
          if (keyed) {
            await client.query(
              "conflict" in outcome
                ? "ROLLBACK TO SAVEPOINT hookctl_request; RELEASE SAVEPOINT hookctl_request"
                : "RELEASE SAVEPOINT hookctl_request",
            );
          }
          outcomes.push(outcome);
        }
        return outcomes;
      }),
    );
  }

  /** Expired keys, a batch at a time; rows another process is pruning or reusing are skipped. */
  async pruneIdempotencyKeys(cutoff: number, limit = 500): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys
        WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [cutoff, limit],
    );
    return result.rowCount ?? 0;
  }

  /** One round trip: counts by status, the due backlog (partial index deliveries_due), pending alerts. */
  async outboxStats(now: number): Promise<OutboxStats> {
    const { rows } = await this.pool.query<{
      by_status: string;
      due: number;
      oldest: number | null;
      alerts_pending: number;
    }>(
      `SELECT (SELECT COALESCE(json_object_agg(status, n), '{}')::text
          FROM (SELECT status, count(*) AS n FROM deliveries GROUP BY status) s) AS by_status,
        (SELECT count(*)::int FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1) AS due,
        (SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1) AS oldest,
        (SELECT count(*)::int FROM alerts WHERE status = 'pending') AS alerts_pending`,
      [now],
    );
    const row = rows[0] as NonNullable<(typeof rows)[number]>;
    const byStatus: StatusCounts = { pending: 0, in_flight: 0, succeeded: 0, dead: 0 };
    Object.assign(byStatus, JSON.parse(row.by_status) as Partial<StatusCounts>);
    return { byStatus, due: row.due, oldestDueAt: row.oldest, alertsPending: row.alerts_pending };
  }

  deliveryPage(query: DeliveryPageQuery) {
    return pgDeliveryPage(this.pool, query);
  }

  async endpointExists(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query("SELECT 1 FROM endpoints WHERE name = $1", [name]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * replay's reset of one delivery, in one statement: a row an engine holds under a live lease
   * is left alone (re-checked under the row lock, so a claim in between wins), and the engines
   * are woken when it commits.
   */
  async retryDelivery(id: string, now: number): Promise<RetryOutcome> {
    const { rows } = await this.pool.query<{ found: number; reset: number }>(
      `WITH reset AS (
        UPDATE deliveries SET status = 'pending', schedule_attempts = 0, next_attempt_at = $2,
          next_trigger = 'manual', lease_token = NULL, lease_expires_at = NULL, updated_at = $2, completed_at = NULL
        WHERE id = $1 AND NOT (status = 'in_flight' AND lease_expires_at > $2) RETURNING id)
      SELECT (SELECT count(*)::int FROM deliveries WHERE id = $1) AS found,
        (SELECT count(*)::int FROM reset) AS reset, ${notifyIfAny("reset")} AS notified`,
      [id, now],
    );
    const row = rows[0];
    if (!row || row.found === 0) return { outcome: "missing" };
    if (row.reset === 0) return { outcome: "leased" };
    const item = await pgListItem(this.pool, id);
    return item ? { outcome: "requeued", item } : { outcome: "missing" };
  }

  /**
   * Why the log takes no writes, or undefined: a DELETE that matches nothing, rolled back (a
   * read-only server or role refuses it), waiting at most a moment for a lock or a connection.
   */
  async writeProbe(): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const connecting = this.pool.connect();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection within ${probeMs} ms`)), probeMs);
    });
    let client: pg.PoolClient | undefined;
    try {
      client = await Promise.race([connecting, timeout]);
      await client.query(
        `BEGIN; SET LOCAL lock_timeout = ${probeMs}; SET LOCAL statement_timeout = ${probeMs};
        DELETE FROM alert_sinks WHERE false; ROLLBACK`,
      );
      return undefined;
    } catch (error) {
      if (client) await client.query("ROLLBACK").catch(() => {});
      else
        void connecting.then(
          (late) => late.release(),
          () => {},
        );
      return (error as Error).message;
    } finally {
      clearTimeout(timer);
      client?.release();
    }
  }
}

/** How long `/readyz` waits for a connection, a lock or the probe itself. */
const probeMs = 1000;

interface Planned {
  index: number;
  incoming: IncomingEvent;
  planned: PlannedEvent;
}

/**
 * One request: plan every event, claim the keys of the first event under each, write the events
 * whose key was claimed (or that have none) with their deliveries, then judge the rest against
 * the stored keys, in order, as SQLite's row-by-row admission would.
 */
async function admitRequest(
  client: pg.PoolClient,
  events: readonly IncomingEvent[],
  endpoints: readonly EndpointRow[],
  options: AdmitOptions,
): Promise<RequestOutcome> {
  const firsts: Planned[] = [];
  const firstOfKey = new Map<string, Planned>();
  events.forEach((incoming, index) => {
    const key = incoming.idempotency?.key;
    if (key !== undefined && firstOfKey.has(key)) return;
    const item = { index, incoming, planned: options.plan(incoming, endpoints) };
    firsts.push(item);
    if (key !== undefined) firstOfKey.set(key, item);
  });
  const { text, values } = admitStatement(firsts, options.keyCutoff);
  const { rows } = await client.query<{ claimed: string[] }>(text, values);
  const claimed = new Set(rows[0]?.claimed ?? []);
  const unclaimed = [...firstOfKey.keys()].filter((key) => !claimed.has(key));
  const stored = new Map<string, { sha: string; eventId: string; response: string }>();
  if (unclaimed.length > 0) {
    const found = await client.query<{ key: string; sha: string; event_id: string; response: string }>(
      "SELECT key, request_sha256 AS sha, event_id, response FROM idempotency_keys WHERE key = ANY($1::text[])",
      [unclaimed],
    );
    for (const row of found.rows)
      stored.set(row.key, { sha: row.sha, eventId: row.event_id, response: row.response });
  }
  const admitted: Admission[] = [];
  const answered = new Map<string, Admission>();
  for (const [index, incoming] of events.entries()) {
    const key = incoming.idempotency;
    const first = key ? firstOfKey.get(key.key) : undefined;
    if (key && first && first.index !== index) {
      // A repeat within the request: judged against what its first occurrence left.
      const earlier = answered.get(key.key) as Admission;
      if (first.incoming.idempotency?.requestSha256 !== key.requestSha256) return { conflict: index };
      admitted.push({ kind: "duplicate", eventId: earlier.eventId, response: earlier.response });
      continue;
    }
    const item = firsts.find((f) => f.index === index) as Planned;
    if (key && !claimed.has(key.key)) {
      const seen = stored.get(key.key);
      // Claimed by nobody and stored by nobody: pruned in between; refuse rather than guess.
      if (!seen || seen.sha !== key.requestSha256) return { conflict: index };
      const duplicate: Admission = { kind: "duplicate", eventId: seen.eventId, response: seen.response };
      admitted.push(duplicate);
      answered.set(key.key, duplicate);
      continue;
    }
    const created: Admission = {
      kind: "created",
      eventId: item.planned.event.id,
      response: item.planned.response,
      deliveries: item.planned.deliveries.length,
    };
    admitted.push(created);
    if (key) answered.set(key.key, created);
  }
  return { admitted };
}

/**
 * Claim the keys (a live key is locked, not replaced; an expired one gives way), insert the events
 * without a key or with a claimed one, and their deliveries pending and due at their creation.
 */
function admitStatement(items: readonly Planned[], keyCutoff: number): { text: string; values: unknown[] } {
  const p = new Params();
  const keyed = items.filter((item) => item.incoming.idempotency !== null);
  const key = <T>(pick: (item: Planned, key: NonNullable<IncomingEvent["idempotency"]>) => T) =>
    keyed.map((item) => pick(item, item.incoming.idempotency as NonNullable<IncomingEvent["idempotency"]>));
  const events = items.map((item) => item.planned.event);
  const rows = items.flatMap(({ planned }) =>
    planned.deliveries.map((delivery) => ({
      ...newDeliveryParams(delivery, planned.event.id),
      now: planned.event.createdAt,
    })),
  );
  const text = `WITH claimed AS (
      INSERT INTO idempotency_keys (key, request_sha256, event_id, response, created_at)
      SELECT * FROM ${unnest(p, [
        [key((_, k) => k.key), "text"],
        [key((_, k) => k.requestSha256), "text"],
        [key((item) => item.planned.event.id), "text"],
        [key((item) => item.planned.response), "text"],
        [key((item) => item.planned.event.createdAt), "bigint"],
      ])}
      ON CONFLICT (key) DO UPDATE SET request_sha256 = excluded.request_sha256, event_id = excluded.event_id,
        response = excluded.response, created_at = excluded.created_at
      WHERE idempotency_keys.created_at < ${p.add(keyCutoff, "bigint")}
      RETURNING key, event_id),
    new_events AS (
      INSERT INTO events (id, type, body, content_type, created_at)
      SELECT e.id, e.type, e.body, e.content_type, e.created_at
      FROM ${unnest(p, [
        [events.map((e) => e.id), "text"],
        [events.map((e) => e.type), "text"],
        [events.map((e) => e.body), "bytea"],
        [events.map((e) => e.contentType), "text"],
        [events.map((e) => e.createdAt), "bigint"],
        [items.map((item) => item.incoming.idempotency !== null), "boolean"],
      ])} AS e(id, type, body, content_type, created_at, keyed)
      WHERE NOT e.keyed OR e.id IN (SELECT event_id FROM claimed)
      RETURNING id),
    new_deliveries AS (
      INSERT INTO deliveries (id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms,
        tls_insecure, tls_ca, status, next_attempt_at, next_trigger, created_at, updated_at)
      SELECT n.id, n.event_id, n.endpoint_id, n.url, n.scheme, n.extra_headers, n.secrets, n.policy, n.timeout_ms,
        n.tls_insecure, n.tls_ca, 'pending', n.now, 'initial', n.now, n.now
      FROM ${unnest(p, [...newDeliveryColumns(rows), [rows.map((r) => r.now), "bigint"]])} AS n(id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms, tls_insecure, tls_ca, now)
      WHERE n.event_id IN (SELECT id FROM new_events)
      RETURNING id)
    SELECT COALESCE((SELECT array_agg(key) FROM claimed), '{}') AS claimed, ${notifyIfAny("new_deliveries")} AS notified`;
  return { text, values: p.values };
}
