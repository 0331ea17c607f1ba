import { Leases } from "../store/leases.js";
import type { Db } from "../store/open.js";
import type { AttemptRecord } from "../store/types.js";

/**
 * One commit per event-loop turn for the many short writes of concurrent attempts. The first
 * write in a turn opens a transaction; writes in the same turn join it (nested transactions
 * become savepoints); it commits when the turn ends. A crash before that commit loses only
 * claims and results of that turn: those deliveries are still pending or leased, so they are
 * sent again with the same delivery id (at-least-once), never lost.
 */
export class GroupCommit {
  private open = false;

  constructor(private readonly db: Db) {}

  run<T>(write: () => T): T {
    if (!this.open && !this.db.inTransaction) {
      this.db.exec("BEGIN IMMEDIATE");
      this.open = true;
      setImmediate(() => this.flush());
    }
    if (!this.open) return write();
    try {
      return write();
    } catch (error) {
      // A failed write undoes the whole turn, as a crash would: nothing half-written is kept.
      this.open = false;
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** This group's transaction is open: a write that throws rolls all of it back. */
  get owns(): boolean {
    return this.open && this.db.inTransaction;
  }

  /** Commit now (also called before anyone else reads the results, e.g. at the end of a run). */
  flush(): void {
    if (!this.open) return;
    this.open = false;
    if (this.db.inTransaction) this.db.exec("COMMIT");
  }
}

/** Leases whose writes go through a GroupCommit; same state machine, fewer commits. */
export class GroupedLeases extends Leases {
  constructor(
    db: Db,
    private readonly group: GroupCommit,
  ) {
    super(db);
  }

  override claimById(...args: Parameters<Leases["claimById"]>) {
    return this.group.run(() => super.claimById(...args));
  }

  override claimKnown(...args: Parameters<Leases["claimKnown"]>) {
    return this.group.run(() => super.claimKnown(...args));
  }

  override renew(id: string, token: string, expiresAt: number): boolean {
    return this.group.run(() => super.renew(id, token, expiresAt));
  }

  override release(id: string, token: string, now: number): boolean {
    return this.group.run(() => super.release(id, token, now));
  }

  override complete(...args: [string, AttemptRecord, Parameters<Leases["complete"]>[2], number]): boolean {
    // No savepoint per record: inside the group's own transaction a failure rolls back the turn.
    return this.group.run(() => (this.group.owns ? this.completeWithin(...args) : super.complete(...args)));
  }
}
