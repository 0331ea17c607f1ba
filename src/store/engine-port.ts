import type { NewDelivery } from "./deliveries.js";
import type { NextState } from "./leases.js";
import type { AttemptRecord, DeliveryRow, EventRow } from "./types.js";

/**
 * What the delivery engine needs from a log, and all it may ask of one. Batch-grained: one
 * `exchange` writes every finished attempt and claims the next batch, so SQLite keeps its short
 * synchronous transactions and a network database pays one round trip per batch. Calls return
 * promises (a network backend cannot do otherwise); for SQLite they resolve in the same turn,
 * and the bench reports what the await costs. No HTTP ever runs inside a call.
 */
export interface EngineStore {
  exchange(request: ExchangeRequest): Promise<ExchangeResult>;
  /**
   * Extend every lease held under these tokens to `now` + the row's timeout + `marginMs`, and
   * say which deliveries that was: a lease already lost (reclaimed by someone) stays lost.
   */
  renew(tokens: readonly string[], now: number, marginMs: number): Promise<string[]>;
  /** Leases whose holder died: back to pending and due now; how many. */
  reclaimExpired(now: number): Promise<number>;
  /** What decides how long an idle engine sleeps (see Outlook). */
  outlook(scope: Scope, held: ReadonlySet<string>, exclude: readonly string[]): Promise<Outlook>;
  pendingCount(scope: Scope): Promise<number>;
  endpointLimits(endpointId: string): Promise<EndpointLimits | undefined>;
  /**
   * Optional: call `listener` when another process may have made deliveries due (PostgreSQL:
   * LISTEN/NOTIFY); returns how to stop. Without it engines find such work by polling.
   */
  onWork?(listener: () => void): () => void;
}

/**
 * The whole log (undefined), or only some deliveries (`replay <ids>`, a requeued set): listed,
 * or already written to the store as a named set (`requeueInChunks` into a set), so that a
 * requeued million never has to be held in memory.
 */
export type Scope = readonly string[] | ScopeSet | undefined;

/** Deliveries the store holds as a set of this connection (SQLite: a temporary table). */
export interface ScopeSet {
  set: string;
}

/** A scope set's name, checked: it goes into SQL (a table name on SQLite). */
export function checkedSetName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a scope set name: ${name}`);
  return name;
}

/** A finished attempt to write, guarded by the lease token it was made under. */
export interface Completion {
  token: string;
  attempt: AttemptRecord;
  next: NextState;
}

export interface ClaimRequest {
  token: string;
  limit: number;
  /** A lease lasts the row's timeout plus this. */
  marginMs: number;
  /** Endpoints to skip (at their cap or waiting for a rate token). */
  exclude: readonly string[];
  /** Claim only rows due by this time (default: `now`). */
  dueBy?: number;
  scope: Scope;
  /**
   * Only these deliveries, those still waiting for their first attempt or copy (a few: `send`'s
   * parked rows), whenever due. The rest (held, finished or rescheduled by another process, or
   * gone) come back in `refused`.
   */
  ids?: readonly string[];
}

/**
 * One round trip, in this order: write `completions` (each only if its token still holds the
 * lease), hand back `releases` (claimed, never attempted), then take new work: `insert` creates
 * events and their deliveries already leased under `lease.token` (send: persisted just before
 * they go out), `again` reopens and claims finished deliveries (send --duplicate), `claim` leases
 * due ones. All of it commits together or not at all.
 */
export interface ExchangeRequest {
  now: number;
  completions: readonly Completion[];
  releases: readonly { id: string; token: string }[];
  claim?: ClaimRequest;
  insert?: { token: string; marginMs: number; items: readonly NewWork[] };
  again?: { token: string; marginMs: number; ids: readonly string[] };
}

export interface NewWork {
  event: EventRow;
  delivery: NewDelivery;
}

export interface ExchangeResult {
  /** Per completion, in order: written (false: a newer lease holder owns the delivery). */
  recorded: boolean[];
  /** Leased to the caller, ready to attempt: inserted, then reopened, then claimed rows. */
  work: Work[];
  /** `again` (or `claim.ids`) ids that could not be claimed: another process holds or finished them. */
  refused: string[];
  /**
   * Inserted (or `again`) deliveries of an endpoint whose limits hold across processes
   * (PostgreSQL): stored pending, reserved to the caller for as long as a lease would last, not
   * leased, since a slot or rate token is not the caller's to assume. Ask for them with
   * `claim.ids`, which takes slots and tokens as any claim does.
   */
  parked?: string[];
  /** Damaged rows met while claiming: moved to the dead letters, never sent. */
  shelved: string[];
  /**
   * Due rows were left unclaimed for a shared rate limit (a store whose limits hold across
   * processes, as PostgreSQL's do): ask again soon, as for an endpoint gated here.
   */
  heldBack?: boolean;
}

/** A leased delivery with everything its attempt needs. */
export interface Work {
  delivery: DeliveryRow;
  event: EventRow;
  /** Secrets to sign with, primary first (the delivery's own, else its endpoint's now). */
  secrets: string[];
  token: string;
}

/** What an engine with nothing to start needs to know to decide how long to sleep. */
export interface Outlook {
  /** Any pending delivery at all (due or not). */
  anyPending: boolean;
  /** Earliest next_attempt_at among pending deliveries of endpoints not excluded. */
  nextDue: number | null;
  /** The delivery due at `nextDue`. */
  nextDueId: string | null;
  /** Earliest lease expiry among in-flight deliveries this engine does not hold. */
  foreignLeaseExpiry: number | null;
}

/** What an endpoint row says about how hard it may be pushed. */
export interface EndpointLimits {
  id: string;
  name: string;
  /** At most this many attempts at once; null for no cap. */
  concurrency: number | null;
  /** Requests per second; null for no limit. */
  ratePerSecond: number | null;
}
