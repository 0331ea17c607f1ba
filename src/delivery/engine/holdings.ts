import type { Work } from "../../store/engine-port.js";

/**
 * What an engine holds leases on: rows waiting to start (ready, or parked at a gate that is
 * closed for now) and, for every delivery held until its record or release is committed, the
 * token it is held under, with how many rows each token still covers (for renewal).
 */
export class Holdings {
  /** Claimed, in claim order, not started. */
  readonly ready: Work[] = [];
  /** Rows waiting for their endpoint's (or the run's, "*") gate, by gate key. */
  private readonly parked = new Map<string, Work[]>();
  private parkedCount = 0;
  private readonly tokens = new Map<string, number>();
  private readonly held = new Map<string, string>();

  get parkedSize(): number {
    return this.parkedCount;
  }

  /** The lease tokens that still cover a row. */
  tokenList(): string[] {
    return [...this.tokens.keys()];
  }

  get holdsAny(): boolean {
    return this.tokens.size > 0;
  }

  has(id: string): boolean {
    return this.held.has(id);
  }

  ids(): Set<string> {
    return new Set(this.held.keys());
  }

  hold(work: Work): void {
    this.held.set(work.delivery.id, work.token);
    this.count(work.token);
  }

  /** A lease the engine holds without a row to start (handed straight back). */
  count(token: string): void {
    this.tokens.set(token, (this.tokens.get(token) ?? 0) + 1);
  }

  /** The row's record or release is committed (or its lease is lost): it is not held any more. */
  letGo(id: string, token: string): void {
    if (this.held.get(id) === token) this.held.delete(id);
    const left = (this.tokens.get(token) ?? 1) - 1;
    if (left > 0) this.tokens.set(token, left);
    else this.tokens.delete(token);
  }

  /**
   * `work` was claimed again while an older copy is still held: that copy's lease lapsed and was
   * reclaimed meanwhile (a stalled process), so it must never start. Drops a waiting old copy
   * and says true (hold the new one); false when the old copy is not waiting but running.
   */
  dropOlderCopy(work: Work, running: boolean): boolean {
    const id = work.delivery.id;
    for (const rows of [this.ready, ...this.parked.values()]) {
      const i = rows.findIndex((old) => old.delivery.id === id && old.token !== work.token);
      if (i < 0) continue;
      const [old] = rows.splice(i, 1) as [Work];
      if (rows !== this.ready) this.parkedCount--;
      this.letGo(id, old.token);
      return true;
    }
    return !running;
  }

  park(gate: string, work: Work): void {
    const rows = this.parked.get(gate);
    if (rows) rows.push(work);
    else this.parked.set(gate, [work]);
    this.parkedCount++;
  }

  /** Gates that opened give their rows back to the front of the queue, in order. */
  unpark(isBlocked: (gate: string) => boolean): void {
    if (this.parkedCount === 0) return;
    for (const [gate, rows] of this.parked) {
      if (isBlocked(gate)) continue;
      this.parked.delete(gate);
      this.parkedCount -= rows.length;
      this.ready.unshift(...rows);
    }
  }

  /**
   * After a renewal of the tokens `asked`, which kept the leases of `kept`: waiting rows under
   * those tokens whose lease is gone are dropped unstarted (`onLost`). Rows that arrived under
   * other tokens meanwhile have fresh leases of their own.
   */
  dropLost(asked: ReadonlySet<string>, kept: ReadonlySet<string>, onLost: (work: Work) => void): void {
    const keep = (work: Work): boolean => {
      if (!asked.has(work.token) || kept.has(work.delivery.id)) return true;
      this.letGo(work.delivery.id, work.token);
      onLost(work);
      return false;
    };
    const ready = this.ready.splice(0).filter(keep);
    this.ready.push(...ready);
    for (const [gate, rows] of this.parked) {
      const left = rows.filter(keep);
      this.parkedCount -= rows.length - left.length;
      if (left.length > 0) this.parked.set(gate, left);
      else this.parked.delete(gate);
    }
  }

  /** Everything waiting (the run is stopping): the caller hands these leases back. */
  takeUnstarted(): Work[] {
    const rows = [...this.ready.splice(0), ...[...this.parked.values()].flat()];
    this.parked.clear();
    this.parkedCount = 0;
    return rows;
  }
}
