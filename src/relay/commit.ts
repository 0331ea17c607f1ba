import { groupCommit } from "../receiver/group-commit.js";
import type { RelayStore } from "../store/ports/relay.js";
import type { RelayRequestInput, StoreOutcome } from "../store/relay.js";

interface Pending {
  channel: string;
  request: RelayRequestInput;
  outcome?: StoreOutcome;
}

/**
 * Group commit of arriving requests (the receiver's `groupCommit`): those whose bodies complete
 * in the same turn of the event loop share one transaction (one fsync under synchronous=FULL). A
 * request's promise settles only after that transaction has committed; `committed` is told which
 * channels got new requests. One group at a time: groups commit (and are announced) in order.
 */
export function groupCommitter(
  store: Pick<RelayStore, "storeRequests">,
  defaultMaxStored: () => number,
  committed: (channels: ReadonlySet<string>) => void,
) {
  const commits = groupCommit<Pending>(
    async (batch) => {
      const outcomes = await store.storeRequests(batch, defaultMaxStored());
      const channels = new Set<string>();
      batch.forEach((pending, index) => {
        const outcome = outcomes[index] as StoreOutcome;
        pending.outcome = outcome;
        if (outcome.kind === "stored") channels.add(pending.channel);
      });
      if (channels.size > 0) committed(channels);
    },
    { maxInFlight: 1 },
  );
  return {
    async submit(channel: string, request: RelayRequestInput): Promise<StoreOutcome> {
      const pending: Pending = { channel, request };
      await commits.add(pending);
      return pending.outcome as StoreOutcome;
    },
    /** Resolves once everything submitted so far is committed (or refused). */
    drain: (): Promise<void> => commits.drain(),
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
