import { queueDeadLetterAlerts } from "./dead-letter-alerts.js";
import type { Db } from "./open.js";
import { tlsColumns, tlsOf } from "./rows.js";
import type { TlsSetting } from "./types.js";

export interface EndpointRow {
  id: string;
  name: string;
  url: string;
  scheme: string;
  ratePerSecond: number | null;
  concurrency: number | null;
  timeoutMs: number | null;
  /** Partial RetryPolicy as JSON, or null for the defaults. */
  policy: string | null;
  /** How its HTTPS certificate is checked; copied to each delivery. Null: the system's trust store. */
  tls?: TlsSetting | null;
  /**
   * Event-type globs it subscribes to (`serve` fans an event out to every endpoint whose list
   * matches its type); null or absent: every type.
   */
  events?: readonly string[] | null;
  createdAt: number;
}

export interface EndpointSecretRow {
  id: number;
  endpointId: string;
  secret: string;
  createdAt: number;
  expiresAt: number | null;
}

/** A row of `endpoints` (either backend: the columns are the same) as an EndpointRow. */
export function toEndpoint(raw: Record<string, unknown>): EndpointRow {
  return {
    id: raw.id as string,
    name: raw.name as string,
    url: raw.url as string,
    scheme: raw.scheme as string,
    ratePerSecond: (raw.rate_per_second as number | null) ?? null,
    concurrency: (raw.concurrency as number | null) ?? null,
    timeoutMs: (raw.timeout_ms as number | null) ?? null,
    policy: (raw.policy as string | null) ?? null,
    tls: tlsOf(raw),
    events: subscriptionsOf(raw.events),
    createdAt: raw.created_at as number,
  };
}

/** The stored JSON list of globs; anything unreadable subscribes to nothing rather than to all. */
function subscriptionsOf(stored: unknown): string[] | null {
  if (stored === null || stored === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(String(stored));
    return Array.isArray(parsed) ? parsed.filter((glob): glob is string => typeof glob === "string") : [];
  } catch {
    return [];
  }
}

/** Store an endpoint and its secrets; false (nothing stored) when the name is taken already. */
export function insertEndpoint(db: Db, endpoint: EndpointRow, secrets: readonly string[]): boolean {
  return db
    .transaction(() => {
      const inserted = db
        .prepare(`
      INSERT INTO endpoints (id, name, url, scheme, rate_per_second, concurrency, timeout_ms, policy,
        tls_insecure, tls_ca, events, created_at)
      VALUES (@id, @name, @url, @scheme, @ratePerSecond, @concurrency, @timeoutMs, @policy,
        @tlsInsecure, @tlsCa, @events, @createdAt) ON CONFLICT (name) DO NOTHING`)
        .run({
          ...endpoint,
          ...tlsColumns(endpoint.tls),
          events: eventsColumn(endpoint.events),
        });
      if (inserted.changes === 0) return false;
      const addSecret = db.prepare(
        "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES (?, ?, ?, NULL)",
      );
      for (const secret of secrets) addSecret.run(endpoint.id, secret, endpoint.createdAt);
      return true;
    })
    .immediate();
}

/** The stored form of a subscription: a JSON list of globs, or null for every type. */
export function eventsColumn(events: readonly string[] | null | undefined): string | null {
  return events ? JSON.stringify(events) : null;
}

export interface EventsChange {
  endpoint: EndpointRow;
  /** Its secrets valid at the time given, newest first. */
  secrets: EndpointSecretRow[];
}

/**
 * Replace the event types the endpoint named `name` subscribes to (null: every type), and read
 * it back with its secrets valid at `now`, in one transaction. Undefined: no such endpoint.
 */
export function setEndpointEvents(
  db: Db,
  name: string,
  events: readonly string[] | null,
  now: number,
): EventsChange | undefined {
  return db
    .transaction((): EventsChange | undefined => {
      const row = db
        .prepare("UPDATE endpoints SET events = ? WHERE name = ? RETURNING *")
        .get(eventsColumn(events), name);
      if (!row) return undefined;
      const endpoint = toEndpoint(row as Record<string, unknown>);
      return { endpoint, secrets: listEndpointSecrets(db, endpoint.id, now) };
    })
    .immediate();
}

export function getEndpointByName(db: Db, name: string): EndpointRow | undefined {
  const row = db.prepare("SELECT * FROM endpoints WHERE name = ?").get(name);
  return row ? toEndpoint(row as Record<string, unknown>) : undefined;
}

export function getEndpointById(db: Db, id: string): EndpointRow | undefined {
  const row = db.prepare("SELECT * FROM endpoints WHERE id = ?").get(id);
  return row ? toEndpoint(row as Record<string, unknown>) : undefined;
}

export function listEndpoints(db: Db): EndpointRow[] {
  return (db.prepare("SELECT * FROM endpoints ORDER BY name").all() as Record<string, unknown>[]).map(
    toEndpoint,
  );
}

/** Secrets valid at `now`, newest (primary) first: rotation keeps the old one until it expires. */
export function activeSecrets(db: Db, endpointId: string, now: number): string[] {
  return db
    .prepare(
      "SELECT secret FROM endpoint_secrets WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC, id DESC",
    )
    .pluck()
    .all(endpointId, now) as string[];
}

/** Every secret the endpoint has had that is not yet expired at `now` (or all, with `now` null), newest first. */
export function listEndpointSecrets(
  db: Db,
  endpointId: string,
  now: number | null = null,
): EndpointSecretRow[] {
  const rows = db
    .prepare(`SELECT * FROM endpoint_secrets WHERE endpoint_id = @endpointId
      AND (@now IS NULL OR expires_at IS NULL OR expires_at > @now) ORDER BY created_at DESC, id DESC`)
    .all({ endpointId, now }) as Record<string, unknown>[];
  return rows.map(toEndpointSecret);
}

/** A row of `endpoint_secrets` (either backend) as an EndpointSecretRow. */
export function toEndpointSecret(raw: Record<string, unknown>): EndpointSecretRow {
  return {
    id: raw.id as number,
    endpointId: raw.endpoint_id as string,
    secret: raw.secret as string,
    createdAt: raw.created_at as number,
    expiresAt: (raw.expires_at as number | null) ?? null,
  };
}

export interface RotationResult {
  /** Secrets that were valid and now expire at the end of the grace period. */
  retiring: number;
  expiresAt: number;
}

/**
 * Make `secret` the endpoint's primary secret. Every secret still valid past `now + graceMs`
 * is cut to expire then, so receivers have the grace period to switch; until it ends, schemes
 * that carry several signatures sign with both.
 */
export function rotateEndpointSecret(
  db: Db,
  endpointId: string,
  secret: string,
  now: number,
  graceMs: number,
): RotationResult {
  const expiresAt = now + graceMs;
  return db
    .transaction(() => {
      const retiring = db
        .prepare(`UPDATE endpoint_secrets SET expires_at = @expiresAt
          WHERE endpoint_id = @endpointId AND (expires_at IS NULL OR expires_at > @expiresAt)`)
        .run({ endpointId, expiresAt }).changes;
      // created_at may equal an older secret's (same millisecond); the id breaks the tie.
      db.prepare(
        "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES (?, ?, ?, NULL)",
      ).run(endpointId, secret, now);
      return { retiring, expiresAt };
    })
    .immediate();
}

export interface RemoveResult {
  /** Deliveries to the endpoint that were still waiting (pending or in flight). */
  waiting: number;
  /** Of those, how many were marked dead because `force` was given. */
  abandoned: number;
  /**
   * With `force`: ids in flight under a live lease that were spared (left to finish, so their
   * attempts are recorded); the endpoint is removed once none is left. Call again.
   */
  inFlight: string[];
  removed: boolean;
}

export interface RemoveOptions {
  force: boolean;
  now: number;
  /**
   * With `force`, which deliveries in flight under a live lease may finish first: undefined,
   * every one; a list, only those (the ones in flight when the removal began, so new claims
   * cannot hold it up); empty, none (give up waiting).
   */
  sparing?: readonly string[];
}

/** A delivery of an endpoint being removed that still waits; `live`: in flight under a live lease. */
export interface WaitingRow {
  id: string;
  live: boolean | number;
}

/** Which waiting deliveries a forced removal lets finish (`sparing`, see RemoveOptions) and which die now. */
export function sparedByRemoval(
  rows: readonly WaitingRow[],
  sparing: readonly string[] | undefined,
): { spared: string[]; doomed: string[] } {
  const spared: string[] = [];
  const doomed: string[] = [];
  for (const row of rows) {
    (row.live && (!sparing || sparing.includes(row.id)) ? spared : doomed).push(row.id);
  }
  return { spared, doomed };
}

/**
 * Remove an endpoint and its secrets. Waiting deliveries would lose their signing secrets, so
 * without `force` nothing is removed while any exist; with it they become dead first, except
 * those in flight under a live lease that `sparing` lets finish: the endpoint stays until their
 * attempts are recorded (a retry they schedule is given up by the next call). Finished
 * deliveries keep their URL and history (their endpoint reference becomes null).
 */
export function removeEndpoint(db: Db, endpointId: string, options: RemoveOptions): RemoveResult {
  return db
    .transaction((): RemoveResult => {
      const waiting = db
        .prepare(
          "SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ? AND status IN ('pending', 'in_flight')",
        )
        .pluck()
        .get(endpointId) as number;
      if (waiting > 0 && !options.force) return { waiting, abandoned: 0, inFlight: [], removed: false };
      const rows = db
        .prepare(
          `SELECT id, (status = 'in_flight' AND lease_expires_at > ?) IS TRUE AS live
           FROM deliveries WHERE endpoint_id = ? AND status IN ('pending', 'in_flight')`,
        )
        .all(options.now, endpointId) as WaitingRow[];
      const { spared, doomed } = sparedByRemoval(rows, options.sparing);
      const kill =
        db.prepare(`UPDATE deliveries SET status = 'dead', next_attempt_at = NULL, lease_token = NULL,
          lease_expires_at = NULL, last_error = 'endpoint removed', updated_at = ?, completed_at = ?
        WHERE id = ?`);
      for (const id of doomed) {
        kill.run(options.now, options.now, id);
        queueDeadLetterAlerts(db, id, options.now);
      }
      const abandoned = doomed.length;
      if (spared.length > 0) return { waiting, abandoned, inFlight: spared, removed: false };
      db.prepare("DELETE FROM endpoints WHERE id = ?").run(endpointId);
      return { waiting, abandoned, inFlight: [], removed: true };
    })
    .immediate();
}

/** How many deliveries to the endpoint are in each state. */
export function endpointDeliveryCounts(db: Db, endpointId: string): Record<string, number> {
  return deliveryCountsOf(
    db
      .prepare("SELECT status, COUNT(*) AS n FROM deliveries WHERE endpoint_id = ? GROUP BY status")
      .all(endpointId) as { status: string; n: number }[],
  );
}

/** Counts by status, every status present (0 where none). */
export function deliveryCountsOf(rows: readonly { status: string; n: number }[]): Record<string, number> {
  const counts: Record<string, number> = { pending: 0, in_flight: 0, succeeded: 0, dead: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

/** The endpoint store's queries as functions of the log: the SQLite side of its port. */
export const sqliteEndpointQueries = {
  activeSecrets,
  endpointDeliveryCounts,
  getEndpointById,
  getEndpointByName,
  insertEndpoint,
  listEndpointSecrets,
  listEndpoints,
  removeEndpoint,
  rotateEndpointSecret,
  setEndpointEvents,
};
