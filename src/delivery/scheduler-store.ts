import type { Leases } from "../store/leases.js";
import type { Db } from "../store/open.js";
import { toEvent } from "../store/rows.js";
import type { DeliveryRow, EventRow } from "../store/types.js";
import type { EndpointLimits } from "./scheduler-gates.js";

export interface ClaimRequest {
  token: string;
  now: number;
  limit: number;
  marginMs: number;
  exclude: readonly string[];
  /** Claim only rows due by this time (default: `now`). */
  dueBy?: number;
}

/** What the scheduler needs to know to decide how long to sleep. */
export interface Outlook {
  /** Any pending delivery at all (due or not, blocked endpoint or not). */
  anyPending: boolean;
  /** Earliest next_attempt_at among pending deliveries of endpoints that are not blocked. */
  nextDue: number | null;
  /** The delivery due at `nextDue`. */
  nextDueId: string | null;
  /** Earliest lease expiry among in-flight deliveries this scheduler does not run. */
  foreignLeaseExpiry: number | null;
}

const notExcluded = "(endpoint_id IS NULL OR endpoint_id NOT IN (SELECT value FROM json_each(@exclude)))";

/**
 * The scheduler's queries, over the whole log or over a requeued set of ids (`replay <ids>`).
 * Every query is a short indexed read; writes go through Leases.
 */
export class SchedulerStore {
  private readonly scope: string | null;
  private readonly inScope: string;
  private readonly nextDueStmt;
  private readonly anyPendingStmt;
  private readonly leasedStmt;
  private readonly pendingCountStmt;
  private readonly dueInScopeStmt;
  private readonly eventStmt;
  private readonly endpointStmt;
  private readonly events = new Map<string, EventRow>();

  constructor(
    private readonly db: Db,
    private readonly leases: Leases,
    scope: readonly string[] | undefined,
  ) {
    this.scope = scope ? JSON.stringify(scope) : null;
    this.inScope = scope ? "AND id IN (SELECT value FROM json_each(@scope))" : "";
    this.nextDueStmt =
      db.prepare(`SELECT id, next_attempt_at FROM deliveries ${scope ? "" : "INDEXED BY deliveries_due"}
        WHERE status = 'pending' ${this.inScope}
        AND ${notExcluded} ORDER BY next_attempt_at LIMIT 1`);
    this.anyPendingStmt = db
      .prepare(`SELECT 1 FROM deliveries WHERE status = 'pending' ${this.inScope} LIMIT 1`)
      .pluck();
    this.leasedStmt =
      db.prepare(`SELECT id, lease_expires_at FROM deliveries ${scope ? "" : "INDEXED BY deliveries_by_status"}
      WHERE status = 'in_flight'
      ${this.inScope} ORDER BY lease_expires_at LIMIT @limit`);
    this.pendingCountStmt = db
      .prepare(`SELECT COUNT(*) FROM deliveries WHERE status = 'pending' ${this.inScope}`)
      .pluck();
    this.dueInScopeStmt = db.prepare(`SELECT id, timeout_ms FROM deliveries
      WHERE status = 'pending' AND next_attempt_at <= @due ${this.inScope} AND ${notExcluded}
      ORDER BY next_attempt_at LIMIT @limit`);
    this.eventStmt = db.prepare("SELECT * FROM events WHERE id = ?");
    this.endpointStmt = db.prepare(
      "SELECT id, name, concurrency, rate_per_second FROM endpoints WHERE id = ?",
    );
  }

  private params(extra: Record<string, unknown>): Record<string, unknown> {
    return this.scope === null ? extra : { ...extra, scope: this.scope };
  }

  /** Lease up to `limit` due deliveries in one short write transaction. */
  claim(request: ClaimRequest): DeliveryRow[] {
    // A due cut-off other than now goes the scoped way (it works on the whole log too).
    if (this.scope === null && request.dueBy === undefined) {
      return this.leases.claimDue({
        token: request.token,
        now: request.now,
        leaseMs: request.marginMs,
        marginMs: request.marginMs,
        limit: request.limit,
        excludeEndpoints: request.exclude,
      });
    }
    return this.db
      .transaction(() => {
        const due = this.dueInScopeStmt.all(
          this.params({
            due: Math.min(request.now, request.dueBy ?? request.now),
            limit: request.limit,
            exclude: JSON.stringify(request.exclude),
          }),
        ) as { id: string; timeout_ms: number }[];
        const claimed: DeliveryRow[] = [];
        for (const row of due) {
          const delivery = this.leases.claimById(row.id, {
            token: request.token,
            now: request.now,
            leaseMs: row.timeout_ms + request.marginMs,
          });
          if (delivery) claimed.push(delivery);
        }
        return claimed;
      })
      .immediate();
  }

  /** `ours(id)`: the row is leased by this scheduler (running or about to). */
  outlook(exclude: readonly string[], ours: (id: string) => boolean, oursCount: number): Outlook {
    const anyPending = this.anyPendingStmt.get(this.params({})) !== undefined;
    const next = anyPending
      ? (this.nextDueStmt.get(this.params({ exclude: JSON.stringify(exclude) })) as
          | { id: string; next_attempt_at: number }
          | undefined)
      : undefined;
    // Our own leases are renewed while they run; only someone else's can lapse and need reclaiming.
    const leased = this.leasedStmt.all(this.params({ limit: oursCount + 1 })) as {
      id: string;
      lease_expires_at: number;
    }[];
    const foreign = leased.find((row) => !ours(row.id));
    return {
      anyPending,
      nextDue: next?.next_attempt_at ?? null,
      nextDueId: next?.id ?? null,
      foreignLeaseExpiry: foreign ? foreign.lease_expires_at : null,
    };
  }

  pendingCount(): number {
    return this.pendingCountStmt.get(this.params({})) as number;
  }

  /** Events never change once written, and fan-out deliveries share one: keep recent ones. */
  event(id: string): EventRow | undefined {
    const cached = this.events.get(id);
    if (cached) return cached;
    const raw = this.eventStmt.get(id) as Record<string, unknown> | undefined;
    if (!raw) return undefined;
    if (this.events.size >= 256) this.events.clear();
    const event = toEvent(raw);
    this.events.set(id, event);
    return event;
  }

  endpointLimits(id: string): EndpointLimits | undefined {
    const raw = this.endpointStmt.get(id) as
      | { id: string; name: string; concurrency: number | null; rate_per_second: number | null }
      | undefined;
    return raw
      ? { id: raw.id, name: raw.name, concurrency: raw.concurrency, ratePerSecond: raw.rate_per_second }
      : undefined;
  }
}
