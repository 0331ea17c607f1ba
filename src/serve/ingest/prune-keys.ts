import type { Ingestor } from "./ingestor.js";

const batch = 500;

/**
 * Forget expired idempotency keys in the background: one short batch at a time, the next
 * batch on a later turn of the event loop (requests get in between), then a pause of `everyMs`.
 * Returns a stop function.
 */
export function startKeyPruner(
  ingestor: Ingestor,
  options: { everyMs?: number; onError?: (error: unknown) => void } = {},
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const step = () => {
    if (stopped) return;
    let removed = 0;
    try {
      removed = ingestor.pruneKeys(batch);
    } catch (error) {
      options.onError?.(error);
    }
    if (removed === batch) immediate = setImmediate(step);
    else timer = setTimeout(step, options.everyMs ?? 60_000).unref();
  };
  step();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}
