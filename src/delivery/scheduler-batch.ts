import { Leases, type NextState } from "../store/leases.js";
import type { Db } from "../store/open.js";
import type { AttemptRecord } from "../store/types.js";

interface Pending {
  token: string;
  attempt: AttemptRecord;
  next: NextState;
  now: number;
  resolve: (recorded: boolean) => void;
}

/**
 * Group commit for finished attempts (replay's scheduler and send). deliverClaimed records
 * through `complete`; here that only queues the write, and the caller's next write transaction
 * (its next claims) writes every queued record with it, each record still guarded by its lease
 * token. That transaction opens and commits in one synchronous call, so no lock is ever held
 * while HTTP (or another connection in this process) waits. A crash before the write loses only
 * the record: the lease lapses and the delivery is sent again (at-least-once, same delivery id).
 */
export class BatchedLeases extends Leases {
  private queue: Pending[] = [];
  private readonly results = new Map<string, Promise<boolean>>();

  constructor(
    private readonly database: Db,
    private readonly onError: (error: unknown) => void,
  ) {
    super(database);
  }

  /** Queued, not written yet: read the real outcome with `recorded(deliveryId)`. */
  override complete(token: string, attempt: AttemptRecord, next: NextState, now: number): boolean {
    const result = new Promise<boolean>((resolve) => {
      this.queue.push({ token, attempt, next, now, resolve });
    });
    this.results.set(attempt.deliveryId, result);
    return true;
  }

  /** Whether the attempt of this delivery was recorded (false: a newer lease holder owns it). */
  recorded(deliveryId: string): Promise<boolean> {
    const result = this.results.get(deliveryId) ?? Promise.resolve(false);
    this.results.delete(deliveryId);
    return result;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Give up on every queued record: the run is over and they could not be written. */
  abandon(): void {
    const items = this.queue;
    this.queue = [];
    for (const item of items) item.resolve(false);
  }

  /**
   * Write every queued record inside the caller's open transaction. Returns what to call once
   * that transaction has ended: `settle(true)` after it committed (each record's result is then
   * final), `settle(false)` after it rolled back (the records go back on the queue, for the next
   * write). Resolving before the commit would report records that a failed commit then undid.
   */
  writeWithin(): (committed: boolean) => void {
    const items = this.queue;
    this.queue = [];
    let outcomes: boolean[];
    try {
      outcomes = items.map((item) => this.completeWithin(item.token, item.attempt, item.next, item.now));
    } catch (error) {
      this.queue = items.concat(this.queue);
      throw error;
    }
    return (committed) => {
      if (!committed) {
        this.queue = items.concat(this.queue);
        return;
      }
      for (const [i, item] of items.entries()) item.resolve(outcomes[i] === true);
    };
  }

  /**
   * One short write transaction: every queued record, then `work` (the caller's claims). The
   * records are reported once it committed; if it rolled back they wait for the next write, and
   * the error is rethrown.
   */
  writeWith<T>(work: () => T): T {
    let settle: ((committed: boolean) => void) | undefined;
    let result: T;
    try {
      result = this.database
        .transaction(() => {
          settle = this.writeWithin();
          return work();
        })
        .immediate();
    } catch (error) {
      settle?.(false);
      throw error;
    }
    settle?.(true);
    return result;
  }

  /** Write every queued record in a transaction of its own (see `writeWithin` inside one). */
  flush(): void {
    const items = this.queue;
    this.queue = [];
    if (items.length === 0) return;
    let outcomes: boolean[];
    try {
      outcomes = this.database
        // One savepoint for the whole batch, not one per record: if any write fails, all roll back.
        .transaction(() =>
          items.map((item) => this.completeWithin(item.token, item.attempt, item.next, item.now)),
        )
        .immediate();
    } catch (error) {
      outcomes = items.map(() => false);
      this.onError(error);
    }
    for (const [i, item] of items.entries()) item.resolve(outcomes[i] === true);
  }
}
