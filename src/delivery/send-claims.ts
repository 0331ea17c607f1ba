import type { DeliveryRow } from "../store/types.js";

/**
 * Leases a send run's deliveries a batch ahead of its workers instead of one by one: each batch
 * is claimed in one short transaction that also writes the attempt records queued since the last
 * one, so a load run commits once per batch, not once per send. Rows stay pending until their
 * batch is claimed, so an interrupted run leaves most of them pending; the few claimed and never
 * sent are handed back by the caller (`unsent`).
 */
export class ClaimAhead {
  private cursor = 0;
  /** Claimed for this run and not taken yet; undefined: another process holds that delivery. */
  private readonly held = new Map<number, DeliveryRow | undefined>();

  constructor(
    /** Slot indexes in the order their first sends start. */
    private readonly order: readonly number[],
    private readonly batch: number,
    /** Runs the claims in one transaction, with whatever else must be written first. */
    private readonly transaction: (claims: () => void) => void,
    private readonly claim: (index: number) => DeliveryRow | undefined,
  ) {}

  /** The leased row for slot `index`, or undefined when another process had claimed it first. */
  take(index: number): DeliveryRow | undefined {
    if (!this.held.has(index)) this.refill(index);
    const row = this.held.get(index);
    this.held.delete(index);
    return row;
  }

  /** Claimed by this run but never taken (the run was interrupted or failed). */
  unsent(): DeliveryRow[] {
    return [...this.held.values()].filter((row): row is DeliveryRow => row !== undefined);
  }

  private refill(index: number): void {
    const start = this.cursor;
    try {
      this.transaction(() => {
        // Workers may start slightly out of order (rate limiting): claim on until `index` is in.
        while (
          this.cursor < this.order.length &&
          (this.cursor - start < this.batch || !this.held.has(index))
        ) {
          const next = this.order[this.cursor++] as number;
          this.held.set(next, this.claim(next));
        }
      });
    } catch (error) {
      // Rolled back: none of this batch is ours.
      for (let i = start; i < this.cursor; i++) this.held.delete(this.order[i] as number);
      this.cursor = start;
      throw error;
    }
  }
}
