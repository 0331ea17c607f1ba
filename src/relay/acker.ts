import type { Timers } from "./timers.js";

/** How long a stopping listener waits for its last acknowledgement. */
const closeWaitMs = 2000;

export interface Acker {
  /** Everything up to `seq` is captured: acknowledge it within `intervalMs`. */
  advance(seq: number): void;
  /** The last seq captured (and acknowledged, or about to be), or null. */
  readonly latest: number | null;
  /** Stop the timers and send what is not acknowledged yet (best effort). */
  close(): Promise<void>;
}

/**
 * Acknowledgements, batched: at most one POST per `intervalMs` while requests stream in, and the
 * same seq again every `heartbeatMs` as the listener's heartbeat. A failed POST is only reported:
 * the next one carries the same or a later seq, and the stream resumes from the local cursor.
 */
export function createAcker(
  post: (seq: number) => Promise<void>,
  timers: Timers,
  options: { intervalMs: number; heartbeatMs: number },
): Acker {
  let latest: number | null = null;
  let sent: number | null = null;
  let cancelBatch: (() => void) | null = null;
  let cancelHeartbeat: (() => void) | null = null;
  let sending: Promise<void> = Promise.resolve();
  let closed = false;

  const send = () => {
    if (latest === null) return;
    const seq = latest;
    sent = seq;
    sending = post(seq);
  };
  const beat = () => {
    send();
    cancelHeartbeat = timers.after(options.heartbeatMs, beat);
  };
  cancelHeartbeat = timers.after(options.heartbeatMs, beat);

  return {
    advance(seq) {
      if (closed || (latest !== null && seq <= latest)) return;
      latest = seq;
      cancelBatch ??= timers.after(options.intervalMs, () => {
        cancelBatch = null;
        send();
      });
    },
    get latest() {
      return latest;
    },
    async close() {
      closed = true;
      cancelBatch?.();
      cancelHeartbeat?.();
      if (latest !== null && latest !== sent) {
        await sending;
        send();
      }
      // A relay that does not answer must not hold up the listener's exit for long.
      let cancel = () => {};
      await Promise.race([
        sending,
        new Promise<void>((resolve) => (cancel = timers.after(closeWaitMs, resolve))),
      ]);
      cancel();
    },
  };
}
