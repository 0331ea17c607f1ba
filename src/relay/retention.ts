import type { RelayStore } from "../store/ports/relay.js";

export interface RetentionOptions {
  store: Pick<RelayStore, "pruneRequests">;
  now: () => number;
  /** Requests older than this go. */
  keepMs: number;
  /** Between sweeps (default: a minute). */
  everyMs?: number;
  /** Requests deleted per transaction, so ingress never waits long behind a sweep. */
  batch?: number;
  onError?: (error: unknown) => void;
}

/**
 * One sweep: delete every request older than keepMs in small batches, yielding to the event
 * loop between them. Resolves with how many went.
 */
export async function sweepExpired(options: RetentionOptions): Promise<number> {
  const cutoff = options.now() - options.keepMs;
  const batch = options.batch ?? 500;
  let total = 0;
  for (;;) {
    const deleted = await options.store.pruneRequests(cutoff, batch);
    total += deleted;
    if (deleted < batch) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Sweep now and then every `everyMs` until stopped; `stop` resolves after a sweep in progress. */
export function startRetention(options: RetentionOptions): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const sweep = () => {
    running ??= sweepExpired(options)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = undefined;
      });
  };
  sweep();
  const timer = setInterval(sweep, options.everyMs ?? 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
