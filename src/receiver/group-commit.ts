/** Commits one batch: returns (or resolves) once it is durable, throws (or rejects) when it is not. */
export type CommitBatch<T> = (items: T[]) => void | Promise<void>;

export interface GroupCommit<T> {
  /** Resolves once `item` is committed; rejects with the batch's error when it could not be. */
  add(item: T): Promise<void>;
  /** Resolves once everything added so far has been committed or has failed. */
  drain(): Promise<void>;
  /** Items waiting for a batch (not counting the batches being committed). */
  readonly pending: number;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most items in one batch (default 256); more wait for the next one. */
  maxBatch?: number;
  /** Batches sent before the first is done (default 2): the next one is on its way while one commits. */
  maxInFlight?: number;
}

/**
 * Group commit: callers wait for their own item's commit, but concurrent items share one. Items
 * added in one turn of the event loop go out together on the next turn; while `maxInFlight`
 * batches are being committed, later items queue and go together as the next batch. Batches grow
 * with the load, so a commit's fixed cost is paid once per batch, not per item. `commit` must
 * finish batches in the order it was given them (a single writer does).
 */
export function groupCommit<T>(commit: CommitBatch<T>, options: GroupCommitOptions = {}): GroupCommit<T> {
  const maxBatch = options.maxBatch ?? 256;
  const maxInFlight = options.maxInFlight ?? 2;
  let queue: Waiting<T>[] = [];
  let inFlight = 0;
  let scheduled = false;
  // Batches settle in order: once the last item added has settled, so has every earlier one.
  let last: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (scheduled || inFlight >= maxInFlight || queue.length === 0) return;
    scheduled = true;
    setImmediate(send);
  };

  const send = () => {
    scheduled = false;
    if (inFlight >= maxInFlight || queue.length === 0) return;
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    inFlight += 1;
    const done = () => {
      inFlight -= 1;
      schedule();
    };
    let committing: void | Promise<void>;
    try {
      committing = commit(batch.map((waiting) => waiting.item));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      done();
      return;
    }
    Promise.resolve(committing).then(
      () => {
        for (const waiting of batch) waiting.resolve();
        done();
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
        done();
      },
    );
    schedule();
  };

  return {
    add(item) {
      const committed = new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
      });
      schedule();
      last = committed.catch(() => {});
      return committed;
    },
    drain: () => last,
    get pending() {
      return queue.length;
    },
  };
}
