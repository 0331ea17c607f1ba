import type { Db } from "../store/open.js";
import { type RelayRequestInput, requestWriter, type StoreOutcome } from "../store/relay.js";

interface Pending {
  channel: string;
  request: RelayRequestInput;
  resolve: (outcome: StoreOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit of arriving requests: those whose bodies complete in the same turn of the event
 * loop share one transaction (one fsync under synchronous=FULL). A request's promise settles only
 * after that transaction has committed; `committed` is told which channels got new requests.
 */
export function groupCommitter(
  db: Db,
  defaultMaxStored: () => number,
  committed: (channels: ReadonlySet<string>) => void,
) {
  const writer = requestWriter(db);
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;

  function flush(): void {
    const batch = queue;
    queue = [];
    flushing = undefined;
    let outcomes: StoreOutcome[];
    try {
      outcomes = writer.store(batch, defaultMaxStored());
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    const channels = new Set<string>();
    batch.forEach((pending, index) => {
      const outcome = outcomes[index] as StoreOutcome;
      if (outcome.kind === "stored") channels.add(pending.channel);
      pending.resolve(outcome);
    });
    if (channels.size > 0) committed(channels);
  }

  return {
    submit(channel: string, request: RelayRequestInput): Promise<StoreOutcome> {
      return new Promise((resolve, reject) => {
        queue.push({ channel, request, resolve, reject });
        flushing ??= new Promise((done) =>
          setImmediate(() => {
            flush();
            done();
          }),
        );
      });
    },
    /** Resolves once everything submitted so far is committed (or refused). */
    async drain(): Promise<void> {
      while (flushing) await flushing;
    },
  };
}

export type GroupCommitter = ReturnType<typeof groupCommitter>;

/** Who is waiting for news of a channel: the open streams. */
export function channelHub() {
  const waiting = new Map<string, Set<() => void>>();
  return {
    subscribe(channel: string, wake: () => void): () => void {
      let set = waiting.get(channel);
      if (!set) {
        set = new Set();
        waiting.set(channel, set);
      }
      set.add(wake);
      return () => {
        set.delete(wake);
        if (set.size === 0 && waiting.get(channel) === set) waiting.delete(channel);
      };
    },
    notify(channels: Iterable<string>): void {
      for (const channel of channels) for (const wake of waiting.get(channel) ?? []) wake();
    },
    /** How many streams are open, over all channels. */
    size(): number {
      let total = 0;
      for (const set of waiting.values()) total += set.size;
      return total;
    },
  };
}

export type ChannelHub = ReturnType<typeof channelHub>;
