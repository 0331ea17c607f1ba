import { activeSecrets } from "../store/endpoints.js";
import type { Leases } from "../store/leases.js";
import type { Db } from "../store/open.js";
import type { DeliveryRow, EventRow } from "../store/types.js";
import type { SchedulerEvent } from "./scheduler-events.js";
import type { EndpointGates } from "./scheduler-gates.js";
import type { SchedulerStore } from "./scheduler-store.js";

/** A leased delivery cleared to start now, with what its attempt needs. */
export interface Launch {
  row: DeliveryRow;
  token: string;
  event: EventRow;
  secrets: string[];
  /** Frees the endpoint's concurrency slot once the attempt is over. */
  done: () => void;
}

interface Claimed {
  row: DeliveryRow;
  token: string;
}

export interface IntakeDeps {
  db: Db;
  store: SchedulerStore;
  leases: Leases;
  gates: EndpointGates;
  newToken: () => string;
  marginMs: number;
  /** Claim only rows due by this time (`replay --due`). */
  dueBy?: number;
  emit: (event: SchedulerEvent) => void;
}

/**
 * Turns due rows into launches. Claims run ahead by up to one slot-load (`ready`), so a fast
 * receiver costs one claim per `concurrency` attempts rather than one each. The caller runs
 * `take` inside one short transaction with its other writes; no HTTP runs inside it.
 */
export class Intake {
  private readonly ready: Claimed[] = [];

  constructor(private readonly deps: IntakeDeps) {}

  /** Leased by this scheduler but not started: not someone else's lapsed lease. */
  holds(id: string): boolean {
    return this.ready.some((claimed) => claimed.row.id === id);
  }

  get size(): number {
    return this.ready.length;
  }

  /** Launches from rows already claimed, without claiming more (usually no write at all). */
  drain(now: number, free: number): Launch[] {
    const launches: Launch[] = [];
    this.drainInto(launches, now, free);
    return launches;
  }

  private drainInto(launches: Launch[], now: number, free: number): number {
    let handedBack = 0;
    while (launches.length < free && this.ready.length > 0) {
      const launch = this.admit(this.ready.shift() as Claimed, now);
      if (launch) launches.push(launch);
      else handedBack++;
    }
    return handedBack;
  }

  /**
   * Up to `free` launches (for a scheduler of `concurrency` slots), claiming as needed: call
   * inside a transaction.
   */
  take(now: number, free: number, concurrency: number): Launch[] {
    const launches: Launch[] = [];
    let exhausted = false;
    // Rows of an endpoint that just hit its cap or rate are handed back; claim again (now
    // skipping that endpoint) a few times rather than leave slots idle.
    for (let round = 0; round < 5; round++) {
      const handedBack = this.drainInto(launches, now, free);
      if (this.ready.length > 0 || launches.length >= free || (exhausted && handedBack === 0)) break;
      const want = free - launches.length + concurrency;
      const token = this.deps.newToken();
      const rows = this.deps.store.claim({
        token,
        now,
        limit: want,
        marginMs: this.deps.marginMs,
        exclude: this.deps.gates.blocked(now),
        dueBy: this.deps.dueBy,
      });
      for (const row of rows) this.ready.push({ row, token });
      exhausted = rows.length < want;
    }
    return launches;
  }

  private admit({ row, token }: Claimed, now: number): Launch | undefined {
    const { leases, gates, marginMs } = this.deps;
    // A row that waited in `ready` gets its full lease back before its attempt starts.
    const needed = now + row.timeoutMs + marginMs;
    if ((row.leaseExpiresAt ?? 0) < needed - marginMs / 2 && !leases.renew(row.id, token, needed)) {
      return undefined;
    }
    const admission = gates.admit(row.endpointId, now);
    const event = admission.ok ? this.deps.store.event(row.eventId) : undefined;
    if (admission.ok && event) {
      const secrets = row.secrets ?? (row.endpointId ? activeSecrets(this.deps.db, row.endpointId, now) : []);
      return { row, token, event, secrets, done: admission.release };
    }
    // Not started: hand it straight back, still due; waiting for a token is no attempt.
    leases.release(row.id, token, now);
    if (admission.ok) admission.release();
    else if (admission.reason === "rate" && admission.newly) {
      this.deps.emit({
        type: "rate-limited",
        at: now,
        endpointId: admission.endpoint.id,
        endpoint: admission.endpoint.name,
        until: admission.until,
      });
    }
    return undefined;
  }

  /** Shutdown: give back everything claimed that never started. */
  releaseAll(now: number): void {
    const claimed = this.ready.splice(0);
    if (claimed.length === 0) return;
    this.deps.db
      .transaction(() => {
        for (const { row, token } of claimed) this.deps.leases.release(row.id, token, now);
      })
      .immediate();
  }
}
