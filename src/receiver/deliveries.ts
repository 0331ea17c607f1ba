/** What the receiver remembers about one delivery id. */
interface DeliveryState {
  attempts: number;
  accepted: boolean;
}

/**
 * Attempts and acceptance per delivery id, for dedupe and `--fail-first`. A repeat of an id that
 * was already answered 2xx is a duplicate; a retry after a failure is not.
 *
 * Memory is bounded by two generations of at most `capacity` ids each: the ids seen within the
 * last `capacity` distinct ids are always remembered, older ones are forgotten a generation at a
 * time. (Evicting the oldest entry of one Map on every insert looked O(1) but is not: V8 skips
 * the deleted slots at the front on each `keys().next()`, and a receiver past 100,000 ids slowed
 * to a crawl.)
 */
export class DeliveryTracker {
  #recent = new Map<string, DeliveryState>();
  #older = new Map<string, DeliveryState>();
  readonly #capacity: number;
  #accepted = 0;

  constructor(capacity = 100_000) {
    this.#capacity = Math.max(1, capacity);
  }

  /** Record an attempt of `id`; returns its number (1-based) and whether it is a duplicate. */
  attempt(id: string): { attempt: number; duplicate: boolean } {
    let state = this.#recent.get(id);
    if (!state) {
      state = this.#older.get(id) ?? { attempts: 0, accepted: false };
      // Seen again: it moves to the recent generation, so it outlives the ids not seen since.
      this.#older.delete(id);
      this.#remember(id, state);
    }
    state.attempts += 1;
    return { attempt: state.attempts, duplicate: state.accepted };
  }

  #remember(id: string, state: DeliveryState): void {
    this.#recent.set(id, state);
    if (this.#recent.size >= this.#capacity) {
      this.#older = this.#recent;
      this.#recent = new Map();
    }
  }

  /** The id was answered 2xx: later attempts are duplicates. */
  accept(id: string): void {
    const state = this.#recent.get(id) ?? this.#older.get(id);
    if (state && !state.accepted) {
      state.accepted = true;
      this.#accepted += 1;
    }
  }

  /** Distinct ids answered 2xx since start. */
  get acceptedCount(): number {
    return this.#accepted;
  }
}
