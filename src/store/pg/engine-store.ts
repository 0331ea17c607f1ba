import { randomUUID } from "node:crypto";
import type pg from "pg";
import { createdRow } from "../deliveries.js";
import {
  checkedSetName,
  type EndpointLimits,
  type EngineStore,
  type ExchangeRequest,
  type ExchangeResult,
  type Outlook,
  type Scope,
  type ScopeSet,
  type Work,
} from "../engine-port.js";
import type { PendingSchedule } from "../pending-schedules.js";
import { toDelivery, toEvent } from "../rows.js";
import type { DeliveryRow, EventRow } from "../types.js";
import { queueDeadLetterAlertsSql } from "./dead-letter-alerts.js";
import { exchangeStatement, inScope, notExcluded, notifyIfAny, Params, workChannel } from "./exchange-sql.js";
import { gateCte, renewStatement } from "./limits-sql.js";
import { NotificationListener } from "./notifications.js";
import { retryDeadlock } from "./transaction.js";

type Raw = Record<string, unknown>;

export interface PgEngineStoreOptions {
  /**
   * Milliseconds since the epoch: the age of the scope sets this store writes, and the time the
   * outlook judges endpoint slots and buckets at (the port's outlook takes no time of its own).
   */
  now?: () => number;
  /** A name for a scope set of listed ids (default: random). */
  newSetName?: () => string;
}

/** Ids written to a scope set per statement. */
const scopeChunk = 10_000;

/** How often a store claiming from a scope set says it still runs it (prune keeps a day's). */
const scopeHolderEveryMs = 10 * 60_000;

/**
 * The engine's store port over a PostgreSQL log, for many schedulers in many processes sharing
 * it. Each exchange is one statement (see exchangeStatement): one round trip, atomic, claims
 * with `FOR UPDATE SKIP LOCKED` and completions fenced by the lease token. Deliveries handed
 * back or reclaimed are announced with NOTIFY (see `onWork`), so idle engines need not wait for
 * their next poll.
 */
export class PgEngineStore implements EngineStore {
  private readonly listener: NotificationListener;
  /** Listed scopes go into scope_sets once, under a name of their own. */
  private readonly listed = new WeakMap<readonly string[], Promise<string>>();
  private readonly written: string[] = [];
  /** Scope sets this store claims from, and when it last said so in scope_set_holders. */
  private readonly holding = new Map<string, number>();
  private readonly now: () => number;
  private readonly newSetName: () => string;

  constructor(
    private readonly pool: pg.Pool,
    options: PgEngineStoreOptions = {},
  ) {
    this.listener = new NotificationListener(pool, workChannel);
    this.now = options.now ?? Date.now;
    this.newSetName = options.newSetName ?? (() => `list_${randomUUID().replaceAll("-", "")}`);
  }

  async exchange(request: ExchangeRequest): Promise<ExchangeResult> {
    const set = request.claim?.scope ? await this.setOf(request.claim.scope) : undefined;
    const statement = exchangeStatement(request, set);
    const result: ExchangeResult = { recorded: [], work: [], refused: [], shelved: [] };
    if (!statement) return result;
    const query = { name: statementName(statement.text), ...statement };
    const { rows } = await retryDeadlock(() => this.pool.query<Raw>(query));
    const recorded = new Set((rows[0]?.recorded as number[] | null) ?? []);
    result.recorded = request.completions.map((_, i) => recorded.has(i + 1));
    if (rows[0]?.held_back === true) result.heldBack = true;
    const parked = (rows[0]?.parked as string[] | null) ?? [];
    if (parked.length > 0) result.parked = parked;
    const waiting = new Set(parked);
    const now = request.now;
    if (request.insert) {
      const { token, marginMs, items } = request.insert;
      for (const { event, delivery } of items) {
        if (waiting.has(delivery.id)) continue;
        const row = createdRow(delivery, event.id, now);
        const expires = now + delivery.timeoutMs + marginMs;
        const leased: DeliveryRow = {
          ...row,
          status: "in_flight",
          leaseToken: token,
          leaseExpiresAt: expires,
        };
        result.work.push({ delivery: leased, event, secrets: delivery.secrets ?? [], token });
      }
      await this.fillSecrets(result.work, now);
    }
    const reopened = new Set<string>();
    for (const raw of rows) {
      if (raw.id === null || raw.id === undefined) continue;
      const delivery = toDelivery(raw);
      if (delivery.damage !== null) {
        result.shelved.push(delivery.id);
        continue;
      }
      if (raw.kind === 1) reopened.add(delivery.id);
      result.work.push(workOf(delivery, raw));
    }
    if (request.again) {
      result.refused = request.again.ids.filter((id) => !reopened.has(id) && !waiting.has(id));
    }
    result.refused.push(...((rows[0]?.claim_refused as string[] | null) ?? []));
    if (result.shelved.length > 0) await this.shelve(result.shelved, leaseTokens(request), now);
    return result;
  }

  /** Inserted deliveries of an endpoint sign with its secrets of now (what a claim would read). */
  private async fillSecrets(work: Work[], now: number): Promise<void> {
    const endpoints = [
      ...new Set(work.filter((w) => w.delivery.secrets === null).map((w) => w.delivery.endpointId)),
    ].filter((id): id is string => id !== null);
    if (endpoints.length === 0) return;
    const { rows } = await this.pool.query<{ endpoint_id: string; secret: string }>(
      `SELECT endpoint_id, secret FROM endpoint_secrets
       WHERE endpoint_id = ANY($1::text[]) AND (expires_at IS NULL OR expires_at > $2::bigint)
       ORDER BY created_at DESC, id DESC`,
      [endpoints, now],
    );
    const of = new Map<string, string[]>();
    for (const { endpoint_id, secret } of rows) of.set(endpoint_id, [...(of.get(endpoint_id) ?? []), secret]);
    for (const w of work) {
      if (w.delivery.secrets === null && w.delivery.endpointId !== null) {
        w.secrets = of.get(w.delivery.endpointId) ?? [];
      }
    }
  }

  /**
   * Damaged rows met while claiming go to the dead letters, never sent. A statement of their
   * own, after the claim committed: if it never runs, their leases lapse and the next claim
   * finds them damaged again.
   */
  private async shelve(ids: readonly string[], tokens: readonly string[], now: number): Promise<void> {
    await this.pool.query(
      `WITH shelved AS (
         UPDATE deliveries SET status = 'dead', lease_token = NULL, lease_expires_at = NULL,
           next_attempt_at = NULL, updated_at = $3::bigint, completed_at = $3::bigint
         WHERE id = ANY($1::text[]) AND status = 'in_flight' AND lease_token = ANY($2::text[])
         RETURNING id, attempt_count),
       alerted AS (${queueDeadLetterAlertsSql("shelved", "$3::bigint")}),
       freed AS (UPDATE endpoint_slots SET lease_token = NULL, delivery_id = NULL, expires_at = NULL
         WHERE delivery_id = ANY($1::text[]) AND lease_token = ANY($2::text[]))
       SELECT count(*) FROM shelved`,
      [ids, tokens, now],
    );
  }

  async renew(tokens: readonly string[], now: number, marginMs: number): Promise<string[]> {
    if (tokens.length === 0) return [];
    const { rows } = await retryDeadlock(() =>
      this.pool.query<{ id: string }>(renewStatement, [tokens, now, marginMs]),
    );
    return rows.map((row) => row.id);
  }

  async reclaimExpired(now: number): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>(
      `WITH reclaimed AS (
         UPDATE deliveries SET status = 'pending', lease_token = NULL, lease_expires_at = NULL, updated_at = $1::bigint,
           next_attempt_at = LEAST(COALESCE(next_attempt_at, $1::bigint), $1::bigint)
         WHERE status = 'in_flight' AND lease_expires_at <= $1::bigint
         RETURNING 1)
       SELECT (SELECT count(*)::int FROM reclaimed) AS count, ${notifyIfAny("reclaimed")} AS notified`,
      [now],
    );
    return rows[0]?.count ?? 0;
  }

  async outlook(scope: Scope, held: ReadonlySet<string>, exclude: readonly string[]): Promise<Outlook> {
    const set = scope ? await this.setOf(scope) : undefined;
    const p = new Params();
    const scoped = inScope(p, set);
    const now = p.add(this.now(), "bigint");
    const others = `status = 'pending' AND ${scoped} AND ${notExcluded(p, exclude)}`;
    // The next due row of an endpoint without limits comes from the due index; a limited
    // endpoint's is due once its bucket holds a token, and a full one's not at all (a freed slot
    // notifies): idle engines sleep instead of claiming nothing in a loop.
    const text = `WITH ${gateCte(now)}
      SELECT n.id AS next_id, n.next_attempt_at AS next_due,
        EXISTS (SELECT 1 FROM deliveries WHERE status = 'pending' AND ${scoped}) AS any_pending,
        (SELECT min(lease_expires_at) FROM deliveries WHERE status = 'in_flight' AND ${scoped}
          AND id <> ALL(${p.add([...held], "text[]")})) AS foreign_expiry
      FROM (SELECT 1) one LEFT JOIN LATERAL (
        SELECT id, next_attempt_at FROM (
          (SELECT id, next_attempt_at FROM deliveries
            WHERE ${others} AND (endpoint_id IS NULL OR endpoint_id NOT IN (SELECT id FROM gate))
            ORDER BY next_attempt_at LIMIT 1)
          UNION ALL
          SELECT x.id, GREATEST(x.next_attempt_at, g.ready_at) FROM gate g CROSS JOIN LATERAL (
            SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = g.id AND ${others}
            ORDER BY next_attempt_at LIMIT 1) x
          WHERE NOT g.full) candidates
        ORDER BY next_attempt_at LIMIT 1) n ON TRUE`;
    const { rows } = await this.pool.query<Raw>(text, p.values);
    const row = rows[0] ?? {};
    return {
      anyPending: row.any_pending === true,
      nextDue: (row.next_due as number | null) ?? null,
      nextDueId: (row.next_id as string | null) ?? null,
      foreignLeaseExpiry: (row.foreign_expiry as number | null) ?? null,
    };
  }

  async pendingCount(scope: Scope): Promise<number> {
    const set = scope ? await this.setOf(scope) : undefined;
    const p = new Params();
    const { rows } = await this.pool.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM deliveries WHERE status = 'pending' AND ${inScope(p, set)}`,
      p.values,
    );
    return rows[0]?.count ?? 0;
  }

  /** store/pending-schedules.ts's `pendingSchedules` over this log (replay's horizon). */
  async pendingSchedules(scope: Scope): Promise<PendingSchedule[]> {
    const set = scope ? await this.setOf(scope) : undefined;
    const p = new Params();
    const { rows } = await this.pool.query<PendingSchedule>(
      `SELECT policy, schedule_attempts AS "scheduleAttempts", max(next_attempt_at) AS "latestAt"
       FROM deliveries WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND ${inScope(p, set)}
       GROUP BY policy, schedule_attempts`,
      p.values,
    );
    return rows;
  }

  async endpointLimits(endpointId: string): Promise<EndpointLimits | undefined> {
    const { rows } = await this.pool.query<Raw>(
      "SELECT id, name, concurrency, rate_per_second FROM endpoints WHERE id = $1",
      [endpointId],
    );
    const raw = rows[0];
    return (
      raw && {
        id: raw.id as string,
        name: raw.name as string,
        concurrency: (raw.concurrency as number | null) ?? null,
        ratePerSecond: (raw.rate_per_second as number | null) ?? null,
      }
    );
  }

  /** Wake-ups: `listener` runs whenever another process made deliveries due (LISTEN/NOTIFY). */
  onWork(listener: () => void): () => void {
    return this.listener.subscribe(() => listener());
  }

  /** Resolves once notifications are received (true), or could not be set up (false). */
  listening(): Promise<boolean> {
    return this.listener.listening();
  }

  /** Add deliveries to a named scope set (what a requeue into a set writes). */
  async addToSet(set: ScopeSet, ids: readonly string[]): Promise<void> {
    const name = checkedSetName(set.set);
    for (let start = 0; start < ids.length; start += scopeChunk) {
      await this.pool.query(
        `INSERT INTO scope_sets (set_name, delivery_id, created_at)
         SELECT $1::text, unnest($2::text[]), $3::bigint ON CONFLICT DO NOTHING`,
        [name, ids.slice(start, start + scopeChunk), this.now()],
      );
    }
  }

  /** Stop listening and drop the scope sets this store wrote for listed ids; the pool stays open. */
  async close(): Promise<void> {
    await this.listener.stop();
    // Holder notes stay: another scheduler may run the same set; prune drops them after a day.
    const sets = this.written.splice(0);
    if (sets.length > 0)
      await this.pool.query("DELETE FROM scope_sets WHERE set_name = ANY($1::text[])", [sets]);
  }

  /** Note that this store still runs `set`, every few minutes, so prune leaves it be. */
  private async hold(set: string, now: number): Promise<void> {
    const last = this.holding.get(set);
    if (last !== undefined && now - last < scopeHolderEveryMs) return;
    await this.pool.query(
      `INSERT INTO scope_set_holders (set_name, alive_at) VALUES ($1, $2::bigint)
       ON CONFLICT (set_name) DO UPDATE SET alive_at = GREATEST(scope_set_holders.alive_at, EXCLUDED.alive_at)`,
      [set, now],
    );
    this.holding.set(set, now);
  }

  /**
   * The scope set a scope is held in, noted as in use: claims, counts and the outlook of an idle
   * scoped run all come here, so a run waiting days for its next retry keeps its set.
   */
  private async setOf(scope: readonly string[] | ScopeSet): Promise<string> {
    const set = await this.setNameOf(scope);
    await this.hold(set, this.now());
    return set;
  }

  /** The scope set a scope is held in: named, or written once for a list of ids. */
  private setNameOf(scope: readonly string[] | ScopeSet): Promise<string> {
    if (!Array.isArray(scope)) return Promise.resolve(checkedSetName((scope as ScopeSet).set));
    let name = this.listed.get(scope);
    if (!name) {
      const set = this.newSetName();
      this.written.push(set);
      name = this.addToSet({ set }, scope).then(() => set);
      this.listed.set(scope, name);
    }
    return name;
  }
}

/**
 * Exchanges are prepared once per connection: the few hundred shapes an exchange can take (which
 * parts it has) each get a name, which saves planning on every round trip.
 */
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `hookctl_exchange_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The tokens an exchange leases rows under. */
function leaseTokens(request: ExchangeRequest): string[] {
  return [request.again?.token, request.claim?.token].filter((t): t is string => t !== undefined);
}

function workOf(delivery: DeliveryRow, raw: Raw): Work {
  const event: EventRow = toEvent({
    id: raw.event_id,
    type: raw.event_type,
    body: raw.event_body,
    content_type: raw.event_content_type,
    created_at: raw.event_created_at,
  });
  const secrets = delivery.secrets ?? (raw.endpoint_secret_list as string[] | null) ?? [];
  return { delivery, event, secrets, token: raw.lease_token as string };
}
