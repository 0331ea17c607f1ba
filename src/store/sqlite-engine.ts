import { type BackgroundCheckpoints, startBackgroundCheckpoints } from "./background-checkpoints.js";
import { createdRow, reopenSql } from "./deliveries.js";
import { activeSecrets } from "./endpoints.js";
import type {
  ClaimRequest,
  EndpointLimits,
  EngineStore,
  ExchangeRequest,
  ExchangeResult,
  Outlook,
  Scope,
  ScopeSet,
  Work,
} from "./engine-port.js";
import { Leases } from "./leases.js";
import type { Db } from "./open.js";
import { scopeSetTable } from "./queue.js";
import { tlsColumns, toEvent } from "./rows.js";
import type { DeliveryRow, EventRow } from "./types.js";

/**
 * Checkpoints move to a thread of their own once this store has written this many rows (claims,
 * completions and inserts): about 4 MiB of WAL, half the automatic checkpoint's. Counted, not read
 * off the WAL file, whose size says what any process wrote since it was last cut back.
 */
const defaultBackgroundCheckpointsAfterRows = 5000;

export interface SqliteEngineStoreOptions {
  /** Rows written past which checkpoints move to a thread of their own (default 5,000). */
  backgroundCheckpointsAfterRows?: number;
}

const notExcluded = "(endpoint_id IS NULL OR endpoint_id NOT IN (SELECT value FROM json_each(@exclude)))";

/**
 * The engine's store port over a SQLite log. Every call is one short synchronous transaction
 * (or one indexed read); the async methods only wrap the `…Now` ones, which the bench calls
 * directly to measure what the promise costs.
 */
export class SqliteEngineStore implements EngineStore {
  private readonly leases: Leases;
  private readonly statements;
  /** Events never change once written, and fan-out deliveries share one: keep recent ones. */
  private readonly events = new Map<string, EventRow>();
  /** Each scope (a requeued set, possibly of millions) goes into a temporary table once. */
  private readonly scopes = new WeakMap<readonly string[], ScopedQueries>();
  private readonly sets = new Map<string, ScopedQueries>();
  private scopeCount = 0;
  private rowsWritten = 0;
  private checkpoints: BackgroundCheckpoints | undefined;

  private readonly backgroundCheckpointsAfterRows: number;

  constructor(
    private readonly db: Db,
    options: SqliteEngineStoreOptions = {},
  ) {
    this.backgroundCheckpointsAfterRows =
      options.backgroundCheckpointsAfterRows ?? defaultBackgroundCheckpointsAfterRows;
    this.leases = new Leases(db);
    this.statements = prepare(db);
  }

  exchange(request: ExchangeRequest): Promise<ExchangeResult> {
    return Promise.resolve(this.exchangeNow(request));
  }

  renew(tokens: readonly string[], now: number, marginMs: number): Promise<string[]> {
    return Promise.resolve(this.renewNow(tokens, now, marginMs));
  }

  reclaimExpired(now: number): Promise<number> {
    return Promise.resolve(this.reclaimExpiredNow(now));
  }

  reclaimExpiredNow(now: number): number {
    return this.leases.reclaimExpired(now);
  }

  outlook(scope: Scope, held: ReadonlySet<string>, exclude: readonly string[]): Promise<Outlook> {
    return Promise.resolve(this.outlookNow(scope, held, exclude));
  }

  pendingCount(scope: Scope): Promise<number> {
    return Promise.resolve(this.pendingCountNow(scope));
  }

  endpointLimits(endpointId: string): Promise<EndpointLimits | undefined> {
    return Promise.resolve(this.endpointLimitsNow(endpointId));
  }

  endpointLimitsNow(endpointId: string): EndpointLimits | undefined {
    const raw = this.statements.endpoint.get(endpointId) as
      | { id: string; name: string; concurrency: number | null; rate_per_second: number | null }
      | undefined;
    return (
      raw && { id: raw.id, name: raw.name, concurrency: raw.concurrency, ratePerSecond: raw.rate_per_second }
    );
  }

  /** `exchange` without the promise: one immediate transaction. */
  exchangeNow(request: ExchangeRequest): ExchangeResult {
    const result = this.db.transaction(() => this.exchangeWithin(request)).immediate();
    this.watchWal(request.completions.length + result.work.length);
    return result;
  }

  /** Stop the checkpointer thread, if a long run started one. The log stays open. */
  async close(): Promise<void> {
    await this.checkpoints?.stop();
    this.checkpoints = undefined;
  }

  /**
   * A run that writes a lot (a replay or send of thousands) hands the WAL's checkpoints to a
   * thread of their own; a short one never starts that thread.
   */
  private watchWal(rows: number): void {
    if (this.checkpoints) {
      this.checkpoints.committed();
      return;
    }
    this.rowsWritten += rows;
    if (this.rowsWritten < this.backgroundCheckpointsAfterRows || this.db.memory || this.db.readonly) return;
    this.checkpoints = startBackgroundCheckpoints(this.db);
  }

  private exchangeWithin(request: ExchangeRequest): ExchangeResult {
    const { now } = request;
    const recorded = request.completions.map((c) =>
      this.leases.completeWithin(c.token, c.attempt, c.next, now),
    );
    for (const { id, token } of request.releases) this.leases.release(id, token, now);
    const rows: { row: DeliveryRow; token: string; event?: EventRow }[] = [];
    const refused: string[] = [];
    if (request.insert) {
      const { token, marginMs, items } = request.insert;
      const { insertEvent, insertLeased } = this.statements;
      for (const { event, delivery } of items) {
        insertEvent.run(event.id, event.type, event.body, event.contentType, event.createdAt);
        const expires = now + delivery.timeoutMs + marginMs;
        const tls = tlsColumns(delivery.tls);
        insertLeased.run(
          delivery.id,
          event.id,
          delivery.endpointId,
          delivery.url,
          delivery.scheme,
          JSON.stringify(delivery.extraHeaders),
          delivery.secrets ? JSON.stringify(delivery.secrets) : null,
          delivery.policy,
          delivery.timeoutMs,
          tls.tlsInsecure,
          tls.tlsCa,
          now,
          token,
          expires,
          now,
          now,
        );
        const row = createdRow(delivery, event.id, now);
        rows.push({
          row: { ...row, status: "in_flight", leaseToken: token, leaseExpiresAt: expires },
          token,
          event,
        });
      }
    }
    if (request.again) {
      const { token, marginMs, ids } = request.again;
      for (const id of ids) {
        const reopened = this.statements.reopen.run({ id, now }).changes === 1;
        const row = reopened ? this.claimOne(id, token, now, marginMs) : undefined;
        if (row) rows.push({ row, token });
        else refused.push(id);
      }
    }
    const { claim } = request;
    if (claim?.ids) {
      // Named rows (a store with shared limits parks send's rows; this one never does).
      for (const id of claim.ids) {
        const waiting = this.statements.trigger.get(id) !== "scheduled";
        const row = waiting ? this.claimOne(id, claim.token, now, claim.marginMs) : undefined;
        if (row) rows.push({ row, token: claim.token });
        else refused.push(id);
      }
    } else if (claim) {
      for (const row of this.claim(claim, now)) rows.push({ row, token: claim.token });
    }
    const secretsOf = new Map<string, string[]>();
    const work: Work[] = [];
    for (const { row, token, event } of rows) {
      const found = event ?? this.event(row.eventId);
      if (!found) continue;
      let secrets = row.secrets;
      if (!secrets) {
        const endpoint = row.endpointId;
        secrets = endpoint ? (secretsOf.get(endpoint) ?? activeSecrets(this.db, endpoint, now)) : [];
        if (endpoint) secretsOf.set(endpoint, secrets);
      }
      work.push({ delivery: row, event: found, secrets, token });
    }
    return { recorded, work, refused, shelved: this.leases.takeShelved() };
  }

  private claimOne(id: string, token: string, now: number, marginMs: number): DeliveryRow | undefined {
    const timeout = this.statements.timeout.get(id) as number | undefined;
    if (timeout === undefined) return undefined;
    return this.leases.claimById(id, { now, leaseMs: timeout + marginMs, token });
  }

  private claim(request: ClaimRequest, now: number): DeliveryRow[] {
    // A due cut-off other than now goes the scoped way (it works on the whole log too).
    if (request.scope === undefined && request.dueBy === undefined) {
      return this.leases.claimDue({
        token: request.token,
        now,
        leaseMs: request.marginMs,
        marginMs: request.marginMs,
        limit: request.limit,
        excludeEndpoints: request.exclude,
      });
    }
    const statement = request.scope ? this.scoped(request.scope).due : this.statements.dueBy;
    const due = statement.all({
      due: Math.min(now, request.dueBy ?? now),
      limit: request.limit,
      exclude: JSON.stringify(request.exclude),
    }) as { id: string; timeout_ms: number }[];
    const claimed: DeliveryRow[] = [];
    for (const row of due) {
      const delivery = this.leases.claimById(row.id, {
        token: request.token,
        now,
        leaseMs: row.timeout_ms + request.marginMs,
      });
      if (delivery) claimed.push(delivery);
    }
    return claimed;
  }

  renewNow(tokens: readonly string[], now: number, marginMs: number): string[] {
    if (tokens.length === 0) return [];
    return this.statements.renew.all({ tokens: JSON.stringify(tokens), now, margin: marginMs }) as string[];
  }

  outlookNow(scope: Scope, held: ReadonlySet<string>, exclude: readonly string[]): Outlook {
    const s = scope ? this.scoped(scope) : this.statements.whole;
    const next = s.nextDue.get({ exclude: JSON.stringify(exclude) }) as
      | { id: string; next_attempt_at: number }
      | undefined;
    const anyPending = next !== undefined || s.anyPending.get() !== undefined;
    // Our own leases are renewed while we hold them; only someone else's can lapse.
    const leased = s.leased.all({ limit: held.size + 1 }) as {
      id: string;
      lease_expires_at: number;
    }[];
    const foreign = leased.find((row) => !held.has(row.id));
    return {
      anyPending,
      nextDue: next?.next_attempt_at ?? null,
      nextDueId: next?.id ?? null,
      foreignLeaseExpiry: foreign ? foreign.lease_expires_at : null,
    };
  }

  pendingCountNow(scope: Scope): number {
    return (scope ? this.scoped(scope) : this.statements.whole).pendingCount.get() as number;
  }

  /**
   * The queries over one scope: a set already in this connection (requeued into it), or ids
   * written once into a temporary table of their own.
   */
  private scoped(scope: readonly string[] | ScopeSet): ScopedQueries {
    if (!Array.isArray(scope)) {
      const set = scope as ScopeSet;
      let queries = this.sets.get(set.set);
      if (!queries) {
        queries = scopedQueries(this.db, scopeSetTable(set));
        this.sets.set(set.set, queries);
      }
      return queries;
    }
    let queries = this.scopes.get(scope);
    if (!queries) {
      const table = `temp.hookctl_scope_${++this.scopeCount}`;
      this.db.exec(`CREATE TABLE ${table} (id TEXT PRIMARY KEY) WITHOUT ROWID`);
      const insert = this.db.prepare(`INSERT OR IGNORE INTO ${table} (id) VALUES (?)`);
      this.db.transaction(() => {
        for (const id of scope) insert.run(id);
      })();
      queries = scopedQueries(this.db, table);
      this.scopes.set(scope, queries);
    }
    return queries;
  }

  private event(id: string): EventRow | undefined {
    const cached = this.events.get(id);
    if (cached) return cached;
    const raw = this.statements.event.get(id) as Record<string, unknown> | undefined;
    if (!raw) return undefined;
    if (this.events.size >= 256) this.events.clear();
    const event = toEvent(raw);
    this.events.set(id, event);
    return event;
  }
}

type ScopedQueries = ReturnType<typeof scopedQueries>;

/**
 * Queries over the deliveries in `table` (a scope). Claims and the next due walk the due index
 * and look each row up in the scope, so a claim costs the same for ten ids or a million;
 * counting walks the scope.
 */
function scopedQueries(db: Db, table: string) {
  const inScope = `id IN (SELECT id FROM ${table})`;
  return {
    due: db.prepare(`SELECT id, timeout_ms FROM deliveries INDEXED BY deliveries_due
      WHERE status = 'pending' AND next_attempt_at <= @due AND ${inScope} AND ${notExcluded}
      ORDER BY next_attempt_at LIMIT @limit`),
    nextDue: db.prepare(`SELECT id, next_attempt_at FROM deliveries INDEXED BY deliveries_due
      WHERE status = 'pending' AND ${inScope} AND ${notExcluded} ORDER BY next_attempt_at LIMIT 1`),
    anyPending: db
      .prepare(`SELECT 1 FROM ${table} s JOIN deliveries d ON d.id = s.id WHERE d.status = 'pending' LIMIT 1`)
      .pluck(),
    leased: db.prepare(`SELECT id, lease_expires_at FROM deliveries INDEXED BY deliveries_by_status
      WHERE status = 'in_flight' AND ${inScope} ORDER BY lease_expires_at LIMIT @limit`),
    pendingCount: db
      .prepare(`SELECT COUNT(*) FROM ${table} s JOIN deliveries d ON d.id = s.id WHERE d.status = 'pending'`)
      .pluck(),
  };
}

function prepare(db: Db) {
  return {
    // INDEXED BY: without statistics SQLite prefers (status, id) and sorts every pending row.
    whole: {
      nextDue: db.prepare(`SELECT id, next_attempt_at FROM deliveries INDEXED BY deliveries_due
        WHERE status = 'pending' AND ${notExcluded} ORDER BY next_attempt_at LIMIT 1`),
      anyPending: db.prepare("SELECT 1 FROM deliveries WHERE status = 'pending' LIMIT 1").pluck(),
      leased: db.prepare(`SELECT id, lease_expires_at FROM deliveries INDEXED BY deliveries_by_status
        WHERE status = 'in_flight' ORDER BY lease_expires_at LIMIT @limit`),
      pendingCount: db
        .prepare("SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_due WHERE status = 'pending'")
        .pluck(),
    },
    dueBy: db.prepare(`SELECT id, timeout_ms FROM deliveries INDEXED BY deliveries_due
      WHERE status = 'pending' AND next_attempt_at <= @due AND ${notExcluded}
      ORDER BY next_attempt_at LIMIT @limit`),
    renew: db
      .prepare(`UPDATE deliveries SET lease_expires_at = @now + timeout_ms + @margin
      WHERE status = 'in_flight' AND lease_token IN (SELECT value FROM json_each(@tokens)) RETURNING id`)
      .pluck(),
    timeout: db.prepare("SELECT timeout_ms FROM deliveries WHERE id = ?").pluck(),
    trigger: db.prepare("SELECT next_trigger FROM deliveries WHERE id = ?").pluck(),
    // send --duplicate: the next copy of a delivery whose previous one is recorded.
    reopen: db.prepare(reopenSql),
    // send's inserts bind by position (one row per event sent): see Leases.
    insertEvent: db.prepare(
      "INSERT INTO events (id, type, body, content_type, created_at) VALUES (?, ?, ?, ?, ?)",
    ),
    // send: persisted already leased to the run that sends it next.
    insertLeased: db.prepare(`
      INSERT INTO deliveries (id, event_id, endpoint_id, url, scheme, extra_headers, secrets, policy, timeout_ms,
        tls_insecure, tls_ca, status, next_attempt_at, next_trigger, lease_token, lease_expires_at, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_flight', ?, 'initial', ?, ?, ?, ?)`),
    event: db.prepare("SELECT * FROM events WHERE id = ?"),
    endpoint: db.prepare("SELECT id, name, concurrency, rate_per_second FROM endpoints WHERE id = ?"),
  };
}
