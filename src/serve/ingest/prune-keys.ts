import type { Ingestor } from "./ingestor.js";

const batch = 500;

/**
 * Forget expired idempotency keys in the background: one short batch at a time, the next
 * batch on a later turn of the event loop (requests get in between), then a pause of `everyMs`.
 * Returns a stop function, which resolves once a batch in progress has finished (so the log
 * can be closed after it).
 */
export function startKeyPruner(
  ingestor: Ingestor,
  options: { everyMs?: number; onError?: (error: unknown) => void } = {},
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = step();
  };
  const step = async () => {
    if (stopped) return;
    let removed = 0;
    try {
      removed = await ingestor.pruneKeys(batch);
    } catch (error) {
      options.onError?.(error);
    }
    if (stopped) return;
    if (removed === batch) immediate = setImmediate(run);
    else timer = setTimeout(run, options.everyMs ?? 60_000).unref();
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    return running;
  };
}
