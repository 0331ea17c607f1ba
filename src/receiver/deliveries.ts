/** What the receiver remembers about one delivery id. */
interface DeliveryState {
  attempts: number;
  accepted: boolean;
  /** Set while an attempt that may be accepted is being answered (delay, forward, capture). */
  settling: Promise<void> | null;
}

/**
 * Attempts and acceptance per delivery id, for dedupe and `--fail-first`. A repeat of an id that
 * was already answered 2xx is a duplicate; a retry after a failure is not. An id is accepted only
 * once its 2xx is certain (captured, when capturing); an attempt arriving meanwhile waits for that
 * outcome (`hold`, `settling`).
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
      state = this.#older.get(id) ?? { attempts: 0, accepted: false, settling: null };
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
    if (state) this.#accept(state);
  }

  #accept(state: DeliveryState): void {
    if (!state.accepted) {
      state.accepted = true;
      this.#accepted += 1;
    }
  }

  /**
   * An attempt of `id` (just counted by `attempt`) may be accepted: until the returned function
   * is called with the outcome, `settling(id)` hands later attempts a promise to wait on.
   */
  hold(id: string): (accepted: boolean) => void {
    const state = this.#recent.get(id) ?? this.#older.get(id);
    if (!state) return () => {};
    let release = () => {};
    const settling = new Promise<void>((resolve) => {
      release = resolve;
    });
    state.settling = settling;
    return (accepted) => {
      if (accepted) this.#accept(state);
      if (state.settling === settling) state.settling = null;
      release();
    };
  }

  /** Resolves when the attempt of `id` being answered is settled; null when none is. */
  settling(id: string): Promise<void> | null {
    return (this.#recent.get(id) ?? this.#older.get(id))?.settling ?? null;
  }

  /** Distinct ids answered 2xx since start. */
  get acceptedCount(): number {
    return this.#accepted;
  }
}
