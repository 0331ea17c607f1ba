import {
  createdRow,
  createEventsWithDeliveries,
  type NewDelivery,
  reopenDelivery,
} from "../store/deliveries.js";
import { activeSecrets } from "../store/endpoints.js";
import type { IdFactory } from "../store/ids.js";
import type { Db } from "../store/open.js";
import type { DeliveryRow, EventRow, TlsSetting } from "../store/types.js";
import { type DeliveryReport, deliverClaimed } from "./deliver.js";
import { Histogram, type LatencySummary, outcomeKey, summarizeLatency } from "./latency.js";
import type { RetryPolicy } from "./policy.js";
import { acquire, type Sleep, TokenBucket } from "./rate-limit.js";
import { BatchedLeases } from "./scheduler-batch.js";
import { ClaimAhead } from "./send-claims.js";
import { applyReport, type DeliveryOutcome, initialOutcome } from "./send-outcome.js";
import type { AttemptFn } from "./types.js";

export type { AttemptSummary, DeliveryOutcome } from "./send-outcome.js";

/** Where and how to deliver: a named endpoint or a bare URL, already validated. */
export interface SendTarget {
  url: string;
  endpointId: string | null;
  endpointName: string | null;
  scheme: string;
  /** Stored with each delivery so retries sign the same; null reads the endpoint's secrets per attempt. */
  secrets: string[] | null;
  extraHeaders: Record<string, string>;
  timeoutMs: number;
  policy: RetryPolicy;
  /** How an https target is verified (--insecure, --ca, or the endpoint's); null: the system's trust store. */
  tls?: TlsSetting | null;
}

export interface SendPlan {
  target: SendTarget;
  event: { type: string; body: Buffer; contentType: string };
  /** Distinct events to create, each with one delivery. */
  count: number;
  /** Sends per delivery, all with the same delivery id (receivers' dedupe is under test). */
  duplicate: number;
  /** Mix the order of all sends instead of sending each delivery's copies back to back. */
  shuffle: boolean;
  concurrency: number;
  ratePerSecond: number | null;
}

/** Side effects, injected: tests pass a fixed clock, seeded randomness and a loopback attempt. */
export interface SendDeps {
  db: Db;
  attempt: AttemptFn;
  now: () => number;
  random: () => number;
  newId: IdFactory;
  newToken: () => string;
  randomHex: (bytes: number) => string;
  userAgent: string;
  sleep: Sleep;
  /** A lease lasts the timeout plus this (default 5 s), renewed while the run lasts. */
  leaseMarginMs?: number;
}

export type SendEvent =
  | { type: "persisted"; at: number; events: number; sends: number }
  | { type: "attempt"; at: number; report: DeliveryReport; copy: number; done: number; total: number }
  | { type: "skipped"; at: number; deliveryId: string; copy: number; done: number; total: number }
  | { type: "delivery"; at: number; outcome: DeliveryOutcome };

export interface SendResult {
  /** One per delivery, in creation order. */
  outcomes: DeliveryOutcome[];
  attempts: number;
  latency: LatencySummary | undefined;
  /** Attempts by status code or error class. */
  histogram: Record<string, number>;
  /** From the first send to the last answer, ms. */
  elapsedMs: number;
  interrupted: boolean;
  /** Sends never started because the run was interrupted; their deliveries stay pending. */
  notStarted: number;
}

interface Slot {
  event: EventRow;
  outcome: DeliveryOutcome;
  finished: number;
  tail: Promise<void>;
  /** Settles once the slot's latest attempt is in the log and reported. */
  reported: Promise<void>;
}

/**
 * Attempt records wait at most this long for the next claim batch before being written: the
 * most a crash can lose (those deliveries are sent again once their lease lapses).
 */
const recordWindowMs = 100;
const maxQueuedRecords = 1024;

/**
 * Deliveries claimed per transaction: enough to keep every worker busy between commits, but no
 * more than about a second of a rate-limited run, so an interrupted run leaves little claimed.
 */
function claimBatch(plan: SendPlan): number {
  const batch = Math.max(8, plan.concurrency * 8);
  return plan.ratePerSecond ? Math.max(1, Math.min(batch, Math.ceil(plan.ratePerSecond))) : batch;
}

/**
 * Persist every event and delivery first (pending, due now), then lease them a batch ahead of
 * the workers and run each through `deliverClaimed`, the attempt path the replay scheduler
 * shares. A failed attempt leaves its delivery pending with the retry the policy scheduled;
 * `hookctl replay` runs it. On abort no new send starts; running ones finish and are recorded,
 * and deliveries leased but never sent go back to pending.
 */
export async function sendEvents(
  plan: SendPlan,
  deps: SendDeps,
  options: { signal?: AbortSignal; onEvent?: (event: SendEvent) => void } = {},
): Promise<SendResult> {
  const signal = options.signal ?? new AbortController().signal;
  const emit = options.onEvent ?? (() => {});
  const { target } = plan;
  const created = deps.now();
  const slots: Slot[] = [];
  for (let i = 0; i < plan.count; i++) {
    const event: EventRow = {
      id: deps.newId("evt"),
      type: plan.event.type,
      body: plan.event.body,
      contentType: plan.event.contentType,
      createdAt: created,
    };
    const deliveryId = deps.newId("dlv");
    slots.push({
      event,
      finished: 0,
      tail: Promise.resolve(),
      reported: Promise.resolve(),
      outcome: initialOutcome(deliveryId, event, target),
    });
  }
  const policyJson = JSON.stringify(target.policy);
  const newDelivery = (slot: Slot): NewDelivery => ({
    id: slot.outcome.deliveryId,
    endpointId: target.endpointId,
    url: target.url,
    scheme: target.scheme,
    extraHeaders: target.extraHeaders,
    secrets: target.secrets,
    policy: policyJson,
    timeoutMs: target.timeoutMs,
    tls: target.tls,
  });
  createEventsWithDeliveries(
    deps.db,
    slots.map((slot) => ({ event: slot.event, deliveries: [newDelivery(slot)] })),
    created,
  );
  const work = workOrder(plan, deps.random);
  emit({ type: "persisted", at: deps.now(), events: plan.count, sends: work.length });

  // One lease token for the whole run. Attempt records are queued and written together with the
  // next batch of claims, or after `recordWindowMs` at the latest: a crash loses at most that
  // window's records, whose deliveries stay leased, lapse and are sent again (same delivery id).
  const token = deps.newToken();
  let failure: unknown;
  const fail = (error: unknown) => {
    failure ??= error;
  };
  const leases = new BatchedLeases(deps.db, fail);
  const leaseMs = target.timeoutMs + (deps.leaseMarginMs ?? 5000);
  const firstCopies = work.filter((item) => item.copy === 1).map((item) => item.index);
  const claims = new ClaimAhead(
    firstCopies,
    claimBatch(plan),
    (work) => leases.writeWith(work),
    (index) => {
      const slot = slots[index] as Slot;
      return leases.claimKnown(createdRow(newDelivery(slot), slot.event.id, created), {
        now: deps.now(),
        leaseMs,
        token,
      });
    },
  );
  let recordTimer: NodeJS.Timeout | undefined;
  const writeRecords = () => {
    clearTimeout(recordTimer);
    recordTimer = undefined;
    leases.flush();
  };
  const queueRecord = () => {
    if (leases.queued >= maxQueuedRecords) writeRecords();
    else recordTimer ??= setTimeout(writeRecords, recordWindowMs);
  };
  // Claimed rows waiting for a worker (or a rate-limited turn) are covered by one renewal.
  let renewedUntil = 0;
  const renewal = setInterval(
    () => {
      try {
        const until = deps.now() + leaseMs;
        leases.renewAll(token, until);
        renewedUntil = until;
      } catch (error) {
        fail(error);
      }
    },
    Math.max(1000, leaseMs / 3),
  );
  renewal.unref();

  const deliverDeps = { ...deps, leases, leaseMs, renewEachAttempt: false };
  const bucket = plan.ratePerSecond
    ? new TokenBucket({ ratePerSecond: plan.ratePerSecond, now: deps.now })
    : null;
  const durations: number[] = [];
  const histogram = new Histogram();
  let done = 0;
  let notStarted = 0;
  const t0 = deps.now();

  const finishCopy = (slot: Slot) => {
    slot.finished++;
    if (slot.finished === plan.duplicate && slot.outcome.sends + slot.outcome.skipped > 0) {
      emit({ type: "delivery", at: deps.now(), outcome: slot.outcome });
    }
  };

  // A re-send waits for the previous copy's record, then reopens and claims the row again.
  const claimAgain = (id: string): DeliveryRow | undefined => {
    let row: DeliveryRow | undefined;
    leases.writeWith(() => {
      const now = deps.now();
      row = reopenDelivery(deps.db, id, now) ? leases.claimById(id, { now, leaseMs, token }) : undefined;
    });
    return row;
  };

  // A row claimed ahead may have waited (a stalled loop, a slow rate): its lease must outlast the
  // attempt, or a replay may already have reclaimed it. Renewed here when in doubt; a lease lost
  // means another process has the delivery, and this run skips it.
  const leaseLastsTheAttempt = (row: DeliveryRow): boolean => {
    const now = deps.now();
    if (Math.max(row.leaseExpiresAt ?? 0, renewedUntil) > now + target.timeoutMs) return true;
    try {
      return leases.renew(row.id, token, now + leaseMs);
    } catch (error) {
      fail(error);
      return false;
    }
  };

  const sendCopy = async (index: number, copy: number): Promise<void> => {
    const slot = slots[index] as Slot;
    const go = failure === undefined && (!bucket || (await acquire(bucket, deps.sleep, signal)));
    // A failed log write stops new sends: the run ends and reports it.
    if (!go || signal.aborted || failure !== undefined) {
      notStarted++;
      finishCopy(slot);
      return;
    }
    const id = slot.outcome.deliveryId;
    let row = copy === 1 ? claims.take(index) : claimAgain(id);
    if (row && !leaseLastsTheAttempt(row)) row = undefined;
    if (!row) {
      slot.outcome.skipped++;
      emit({ type: "skipped", at: deps.now(), deliveryId: id, copy, done: ++done, total: work.length });
      finishCopy(slot);
      return;
    }
    const secrets = row.secrets ?? (row.endpointId ? activeSecrets(deps.db, row.endpointId, deps.now()) : []);
    let report: DeliveryReport;
    try {
      report = await deliverClaimed(
        // The policy recorded with the delivery is the plan's: no need to parse it back per attempt.
        { delivery: row, event: slot.event, secrets, leaseToken: token, policy: target.policy },
        deliverDeps,
      );
    } catch (error) {
      leases.release(id, token, deps.now());
      throw error;
    }
    durations.push(report.attempt.durationMs);
    histogram.add(outcomeKey(report.attempt));
    const recorded = leases.recorded(id);
    queueRecord();
    // Reported once it is in the log (after the previous copy's report); the worker goes on to
    // its next send meanwhile.
    const written = copy === 1 ? recorded : slot.reported.then(() => recorded);
    slot.reported = written
      .then((ok) => {
        report.stale = !ok;
        applyReport(slot.outcome, report, deps.db);
        emit({ type: "attempt", at: deps.now(), report, copy, done: ++done, total: work.length });
        finishCopy(slot);
      })
      .catch(fail);
  };

  let next = 0;
  const worker = async () => {
    for (;;) {
      const item = work[next++];
      if (!item) return;
      const slot = slots[item.index] as Slot;
      // Copies of one delivery never overlap: each waits for the previous one's lease to end.
      // A failure stops new sends; the ones running finish and are recorded.
      const run = slot.tail.then(() => sendCopy(item.index, item.copy)).catch(fail);
      slot.tail = run;
      await run;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, work.length)) }, worker));
  clearInterval(renewal);
  clearTimeout(recordTimer);
  try {
    // Writes the queued records and hands back what was claimed and never sent (those sends
    // already counted as not started).
    leases.writeWith(() => {
      for (const row of claims.unsent()) leases.release(row.id, token, deps.now());
    });
  } catch (error) {
    fail(error);
    // Sent but not recorded: reported so, and their leases lapse so that replay sends them again.
    leases.abandon();
  }
  await Promise.all(slots.map((slot) => slot.reported));
  if (failure !== undefined) throw failure;

  return {
    outcomes: slots.map((slot) => slot.outcome),
    attempts: durations.length,
    latency: summarizeLatency(durations),
    histogram: histogram.toJSON(),
    elapsedMs: deps.now() - t0,
    interrupted: signal.aborted,
    notStarted,
  };
}

/** Every send as (delivery index, copy number): copies back to back, or shuffled. */
function workOrder(plan: SendPlan, random: () => number): { index: number; copy: number }[] {
  const work: { index: number; copy: number }[] = [];
  for (let index = 0; index < plan.count; index++) {
    for (let copy = 1; copy <= plan.duplicate; copy++) work.push({ index, copy });
  }
  if (plan.shuffle) {
    for (let i = work.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [work[i], work[j]] = [work[j] as (typeof work)[number], work[i] as (typeof work)[number]];
    }
    // Shuffling mixes deliveries, but each delivery's copies keep their numbering in order.
    const seen = new Map<number, number>();
    for (const item of work) {
      const copy = (seen.get(item.index) ?? 0) + 1;
      seen.set(item.index, copy);
      item.copy = copy;
    }
  }
  return work;
}
