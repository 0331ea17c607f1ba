import type { AlertRow } from "../../store/alerts.js";
import { Alarm } from "../engine/alarm.js";
import type { Sleep } from "../rate-limit.js";
import type { AlertLog } from "./log.js";
import { alertMessage } from "./message.js";
import { type AlertRetryPolicy, alertGivesUp, alertRetryDelay, defaultAlertRetry } from "./retry.js";
import type { AlertEvent, AlertSink, SinkAnswer } from "./types.js";

export interface AlertRunnerDeps {
  /** The log the alerts are queued in (alertLogOf, or sqliteAlertLog), on either backend. */
  log: AlertLog;
  sinks: readonly AlertSink[];
  now: () => number;
  /** The runner's own timer (the engine's Sleep): tests drive it. */
  sleep: Sleep;
  /** Aborting it stops the runner as `stop()` does (serve's shutdown). */
  signal?: AbortSignal;
  onEvent?: (event: AlertEvent) => void;
  /**
   * A log that cannot be read or written (or a bug): with this, reported and tried again at the
   * next poll (a server keeps alerting); without it, the runner ends and finish/stop throw it.
   */
  onError?: (error: unknown) => void;
  /** Sends running at once per sink (default 4): a hung sink holds only its own slots. */
  concurrency?: number;
  /** How often the log is looked at for alerts other processes queued (default 1 s). */
  pollMs?: number;
  retry?: AlertRetryPolicy;
}

/** What a finished runner left behind in the log for its sinks. */
export interface AlertsLeft {
  pending: number;
  /** The latest failure among them, if any failed. */
  lastError: string | null;
}

export interface RunningAlerts {
  /**
   * Resolves once the sinks are registered: from then on every death is queued for them (start
   * the engine after it). Rejects if they could not be.
   */
  ready: Promise<void>;
  /** A delivery just became dead (or other work was queued): look for due alerts now. */
  wake(): void;
  /**
   * Wind down after the deliveries are done (`replay`): let sends in flight finish and send what
   * is due, until nothing is running and nothing is due, or `graceMs` has passed (then sends
   * still running are abandoned and stay pending). Returns what is left unsent.
   */
  finish(graceMs: number): Promise<AlertsLeft>;
  /** Stop at once: sends in flight are abandoned and stay pending (sent again next time). */
  stop(): Promise<AlertsLeft>;
  /** Pending alerts of these sinks in the log. */
  pending(): Promise<number>;
}

/**
 * How long a claim holds an alert from runners in other processes (AlertStore.claim); renewed
 * while its try runs. A runner that dies delays its alerts by at most this.
 */
export const alertHoldMs = 5000;

interface SinkState {
  sink: AlertSink;
  /** Alerts being sent, by id: until when each is held. */
  running: Map<string, number>;
}

/**
 * Dead-letter alerts, beside the delivery engine and never in its way: its own loop and timer,
 * a few sends per sink at a time, woken by the engine's `delivery-dead` events and otherwise
 * looking at the log every `pollMs` or at the next retry. Each sink is registered first, so the
 * log queues an alert for every death from now on. An alert is marked sent only after
 * its sink confirmed it; a crash before then sends it again, with the same id, next time.
 */
export function startAlerts(deps: AlertRunnerDeps): RunningAlerts {
  const { log } = deps;
  const store = log.alerts;
  const names = deps.sinks.map((sink) => sink.name);
  // On SQLite every registration has run by the time this returns (bindSqlite runs in the call).
  const ready = (async () => {
    for (const name of names) await store.register(name, deps.now());
  })();
  const concurrency = Math.max(1, deps.concurrency ?? 4);
  const pollMs = deps.pollMs ?? 1000;
  const policy = deps.retry ?? defaultAlertRetry;
  const stopping = new AbortController();
  const alarm = new Alarm(deps.sleep, deps.now, stopping.signal);
  const states: SinkState[] = deps.sinks.map((sink) => ({ sink, running: new Map() }));
  const sends = new Set<Promise<void>>();
  let finishBy: number | undefined;
  /** What ended the runner, when no onError takes errors. */
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    if (deps.onError) deps.onError(error);
    else failure ??= { error };
  };

  const record = async (state: SinkState, row: AlertRow, answer: SinkAnswer): Promise<void> => {
    const at = deps.now();
    const { sink } = state;
    const base = {
      at,
      alertId: row.id,
      deliveryId: row.deliveryId,
      sink: sink.label,
      attempt: row.attempts + 1,
    };
    if (answer.ok) {
      if (await store.markSent(row.id, sink.name, at)) deps.onEvent?.({ type: "alert-sent", ...base });
      return;
    }
    const error = answer.error;
    if (alertGivesUp(row.attempts + 1, row.createdAt, at, policy)) {
      if (await store.giveUp(row.id, sink.name, error)) {
        deps.onEvent?.({ type: "alert-failed", ...base, error, nextAttemptAt: null });
      }
      return;
    }
    const next = at + alertRetryDelay(row.attempts + 1, policy);
    if (await store.scheduleRetry(row.id, sink.name, next, error)) {
      deps.onEvent?.({ type: "alert-failed", ...base, error, nextAttemptAt: next });
    }
  };

  /** `row` was claimed at `claimedAt` and is held until its nextAttemptAt. */
  const launch = (state: SinkState, row: AlertRow, claimedAt: number): void => {
    state.running.set(row.id, row.nextAttemptAt);
    const send = (async () => {
      try {
        const message = alertMessage(await log.describe(row.deliveryId), row);
        const answer = await trySend(state.sink, message, stopping.signal);
        if (!stopping.signal.aborted) await record(state, row, answer);
        // Abandoned (stopped): not confirmed, so it stays pending, due again at once rather than
        // when the hold ends. Best effort: a log already gone leaves the hold to run out.
        else {
          const heldUntil = state.running.get(row.id) ?? row.nextAttemptAt;
          await store.hold(row.id, state.sink.name, heldUntil, claimedAt).catch(() => false);
        }
      } catch (error) {
        fail(error);
      } finally {
        state.running.delete(row.id);
        alarm.ring();
      }
    })();
    sends.add(send);
    void send.finally(() => sends.delete(send));
  };

  /** Holds of tries still running that end within half a hold are moved on by a hold. */
  const renew = async (state: SinkState, now: number): Promise<void> => {
    for (const [id, heldUntil] of state.running) {
      if (heldUntil - now > alertHoldMs / 2) continue;
      // Not kept (answered meanwhile, or taken after a stall outlasted the hold): never renewed
      // again; the try goes on, and its answer is recorded only if the alert is still pending.
      const kept = await store.hold(id, state.sink.name, heldUntil, now + alertHoldMs);
      if (state.running.has(id)) state.running.set(id, kept ? now + alertHoldMs : Number.POSITIVE_INFINITY);
    }
  };

  /** When the earliest hold of a running try needs renewing, if any runs. */
  const nextRenewal = (): number | null => {
    let at: number | null = null;
    for (const state of states) {
      for (const heldUntil of state.running.values()) {
        const due = heldUntil - alertHoldMs / 2;
        if (at === null || due < at) at = due;
      }
    }
    return at;
  };

  /** Start what is due; `waiting`: something due is left for a free slot; `next`: the next retry. */
  const pass = async (now: number): Promise<{ waiting: boolean; next: number | null }> => {
    let waiting = false;
    let next: number | null = null;
    for (const state of states) {
      await renew(state, now);
      const free = concurrency - state.running.size;
      // Claimed, so no runner in another process sends them too. A claim reads the log as
      // committed: an alert answered a moment ago is no longer due. One still running here comes
      // back only if its try outlasted the hold.
      const claimed = free > 0 ? await store.claim(state.sink.name, now, free, now + alertHoldMs) : [];
      // One still running here was claimed again after its hold lapsed: it is ours again.
      for (const row of claimed) if (state.running.has(row.id)) state.running.set(row.id, row.nextAttemptAt);
      const startable = claimed.filter((row) => !state.running.has(row.id));
      for (const row of startable) launch(state, row, now);
      if (free <= 0 || startable.length === free) waiting = true;
      const later = await store.nextDueAfter(state.sink.name, now);
      if (later !== null && (next === null || later < next)) next = later;
    }
    return { waiting, next };
  };

  const running = () => states.reduce((n, state) => n + state.running.size, 0);

  const loop = (async () => {
    try {
      await ready;
    } catch (error) {
      fail(error);
      failure ??= { error };
    }
    while (!stopping.signal.aborted && !failure) {
      const now = deps.now();
      if (finishBy !== undefined && now >= finishBy) break;
      let outlook: Awaited<ReturnType<typeof pass>> = { waiting: false, next: null };
      try {
        outlook = await pass(now);
      } catch (error) {
        fail(error);
        if (failure) break;
      }
      if (finishBy !== undefined && running() === 0 && !outlook.waiting) break;
      let until = finishBy ?? now + pollMs;
      if (outlook.next !== null) until = Math.min(until, outlook.next);
      const renewal = nextRenewal();
      if (renewal !== null) until = Math.min(until, Math.max(renewal, now + 1));
      await alarm.wait(until);
    }
    // Whatever still runs is abandoned: its alert stays pending and goes again next time.
    stopping.abort();
    alarm.close();
    await Promise.all([...sends]);
  })();

  const left = async (): Promise<AlertsLeft> => {
    await loop;
    if (failure) throw failure.error;
    return { pending: (await store.counts(names)).pending, lastError: await store.lastError(names) };
  };

  deps.signal?.addEventListener("abort", () => stopping.abort(), { once: true });
  if (deps.signal?.aborted) stopping.abort();

  return {
    ready,
    wake: () => alarm.ring(),
    finish(graceMs) {
      finishBy = Math.min(finishBy ?? Number.POSITIVE_INFINITY, deps.now() + graceMs);
      alarm.ring();
      return left();
    },
    stop() {
      stopping.abort();
      return left();
    },
    pending: async () => (await store.counts(names)).pending,
  };
}

/** One try; a sink that throws (a bug in it, or a spawn that could not start) failed this try. */
async function trySend(
  sink: AlertSink,
  message: ReturnType<typeof alertMessage>,
  signal: AbortSignal,
): Promise<SinkAnswer> {
  try {
    return await sink.send(message, signal);
  } catch (error) {
    return { ok: false, error: oneLine(error instanceof Error ? error.message : String(error)) };
  }
}

/** The first non-empty line of `text`, at most 200 characters (a log's last_error). */
export function oneLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  return line.trim().slice(0, 200);
}
