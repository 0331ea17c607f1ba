import { hostname } from "node:os";
import { UsageError } from "../../errors.js";
import type { ReceivedStore } from "../../store/ports/received.js";
import type { ListenerHold } from "../../store/relay-listeners.js";

/** A hold lasts this long unless renewed; a listener that died elsewhere blocks no longer. */
export const sourceHoldMs = 30_000;
const renewEveryMs = 10_000;

export interface SourceHoldDeps {
  now: () => number;
  /** This run's own id (random). */
  holder: string;
  host?: string;
  pid?: number;
  /** Whether a process of this host still runs (default: signal 0). */
  isAlive?: (pid: number) => boolean;
  /** The hold went to another listener (this one stalled past it): stop. */
  onLost: () => void;
  /** Runs `tick` every `ms` until the returned function is called (default: an unref'd interval). */
  every?: (ms: number, tick: () => void) => () => void;
}

export interface SourceHold {
  release(): Promise<void>;
}

type HoldStore = Pick<
  ReceivedStore,
  "readRelayListener" | "takeRelayListener" | "renewRelayListener" | "releaseRelayListener"
>;

/**
 * Hold `source` in this log for one `listen --from`, renewed every 10 s; a UsageError naming the
 * other listener when one holds it (its process alive, or elsewhere with a hold not yet lapsed).
 */
export async function holdSource(
  store: HoldStore,
  source: string,
  deps: SourceHoldDeps,
): Promise<SourceHold> {
  const host = deps.host ?? hostname();
  const pid = deps.pid ?? process.pid;
  const isAlive = deps.isAlive ?? processAlive;
  for (;;) {
    const now = deps.now();
    const seen = await store.readRelayListener(source);
    if (
      seen &&
      seen.holder !== deps.holder &&
      seen.heldUntil > now &&
      (seen.host !== host || isAlive(seen.pid))
    ) {
      throw heldElsewhere(source, seen, host, now);
    }
    const hold = { holder: deps.holder, host, pid, heldUntil: now + sourceHoldMs };
    if (await store.takeRelayListener(source, hold, seen ?? null)) break;
    // Another listener moved it between the read and the take: look again.
  }
  const stop = (deps.every ?? unrefInterval)(renewEveryMs, () => {
    store.renewRelayListener(source, deps.holder, deps.now() + sourceHoldMs).then(
      (kept) => {
        if (!kept) deps.onLost();
      },
      // The log is unreachable for now: tried again at the next tick (the hold lasts three).
      () => {},
    );
  });
  return {
    async release() {
      stop();
      await store.releaseRelayListener(source, deps.holder).catch(() => {});
    },
  };
}

function heldElsewhere(source: string, seen: ListenerHold, host: string, now: number): UsageError {
  const who = seen.host === host ? `pid ${seen.pid}` : `pid ${seen.pid} on ${seen.host}`;
  const lapse =
    seen.host === host
      ? ""
      : `; if it was killed, its hold lapses in ${Math.ceil((seen.heldUntil - now) / 1000)} s`;
  return new UsageError(
    `another hookctl listen --from (${who}) is reading ${source} into this log`,
    `stop it first: two would capture and forward every request twice${lapse}`,
  );
}

function unrefInterval(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  // Never what keeps a process alive.
  timer.unref();
  return () => clearInterval(timer);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
