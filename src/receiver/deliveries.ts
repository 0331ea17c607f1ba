/** What the receiver remembers about one delivery id. */
interface DeliveryState {
  attempts: number;
  accepted: boolean;
}

/**
 * Attempts and acceptance per delivery id, for dedupe and `--fail-first`. A repeat of an id that
 * was already answered 2xx is a duplicate; a retry after a failure is not. Memory is bounded: past
 * `capacity` ids the least recently seen are forgotten (Map keeps insertion order).
 */
export class DeliveryTracker {
  readonly #states = new Map<string, DeliveryState>();
  readonly #capacity: number;
  #accepted = 0;

  constructor(capacity = 100_000) {
    this.#capacity = Math.max(1, capacity);
  }

  /** Record an attempt of `id`; returns its number (1-based) and whether it is a duplicate. */
  attempt(id: string): { attempt: number; duplicate: boolean } {
    const state = this.#states.get(id) ?? { attempts: 0, accepted: false };
    state.attempts += 1;
    // Re-insert so eviction drops the least recently seen id, not the oldest first seen.
    this.#states.delete(id);
    this.#states.set(id, state);
    if (this.#states.size > this.#capacity) {
      const oldest = this.#states.keys().next().value as string;
      this.#states.delete(oldest);
    }
    return { attempt: state.attempts, duplicate: state.accepted };
  }

  /** The id was answered 2xx: later attempts are duplicates. */
  accept(id: string): void {
    const state = this.#states.get(id);
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
