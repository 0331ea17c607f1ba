import type { NewDelivery } from "../store/deliveries.js";
import type { EngineStore, ExchangeResult, NewWork } from "../store/engine-port.js";
import type { IdFactory } from "../store/ids.js";
import type { TlsSetting } from "../store/types.js";
import type { DeliveryReport } from "./deliver.js";
import { Engine } from "./engine/engine.js";
import type { AskContext, Lull, WorkSource } from "./engine/source.js";
import { Histogram, LatencyHistogram, type LatencySummary, outcomeKey } from "./latency.js";
import type { RetryPolicy } from "./policy.js";
import { type Sleep, TokenBucket } from "./rate-limit.js";
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
  /** Keep the ids of deliveries left pending (for `--wait` to retry); a plain run keeps none. */
  keepPending?: boolean;
}

/** Side effects, injected: tests pass a fixed clock, seeded randomness and a loopback attempt. */
export interface SendDeps {
  store: EngineStore;
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
  /** See EngineOptions.commitWindowMs. */
  commitWindowMs?: number;
}

export type SendEvent =
  /** A batch of events was written to the log (each just before its first send). */
  | { type: "persisted"; at: number; events: number; total: number }
  | { type: "attempt"; at: number; report: DeliveryReport; copy: number; done: number; total: number }
  | { type: "skipped"; at: number; deliveryId: string; copy: number; done: number; total: number }
  /** Every copy of the delivery is recorded: its outcome, after which the run forgets it. */
  | { type: "delivery"; at: number; outcome: DeliveryOutcome };

export interface SendTally {
  succeeded: number;
  pending: number;
  dead: number;
  /** Deliveries whose every send was skipped because another hookctl process held them. */
  elsewhere: number;
}

export interface SendResult {
  /** Final state of the deliveries this run sent, by status. */
  tally: SendTally;
  /** The earliest retry scheduled for a delivery left pending, if any. */
  nextRetryAt: number | null;
  attempts: number;
  latency: LatencySummary | undefined;
  /** Attempts by status code or error class. */
  histogram: Record<string, number>;
  /** From the first send to the last answer, ms. */
  elapsedMs: number;
  interrupted: boolean;
  /** Events written to the log (the rest were never persisted: the run was interrupted first). */
  persisted: number;
  notPersisted: number;
  /** Sends of persisted deliveries never started; those deliveries stay pending for replay. */
  notStarted: number;
  /** The first attempt that failed on TLS, for a hint. */
  tlsFailure: { url: string; errorMessage: string | null } | null;
  /** With `keepPending`: the deliveries left pending with a retry scheduled. */
  pendingIds: string[];
}

/**
 * `send`: the one engine over events this run creates. Each batch of events is persisted (already
 * leased to this run) just before its sends start, so every delivery is in the log before any
 * network I/O for it, and an interrupted run leaves what it persisted pending for `replay`.
 * Nothing is kept per delivery once its last copy is recorded: memory stays flat at any count.
 */
export async function sendEvents(
  plan: SendPlan,
  deps: SendDeps,
  options: { signal?: AbortSignal; onEvent?: (event: SendEvent) => void } = {},
): Promise<SendResult> {
  const source = new SendSource(plan, deps, options.onEvent ?? (() => {}));
  const t0 = deps.now();
  const engine = new Engine(
    {
      store: deps.store,
      attempt: deps.attempt,
      now: deps.now,
      sleep: deps.sleep,
      random: deps.random,
      newToken: deps.newToken,
      randomHex: deps.randomHex,
      userAgent: deps.userAgent,
      rateLimiter: (ratePerSecond) => new TokenBucket({ ratePerSecond, now: deps.now }),
    },
    source,
    {
      concurrency: plan.concurrency,
      runRate: plan.ratePerSecond,
      leaseMarginMs: deps.leaseMarginMs,
      commitWindowMs: deps.commitWindowMs,
      signal: options.signal,
    },
  );
  const result = await engine.run();
  source.finish();
  return {
    ...source.summary(),
    attempts: result.attempts,
    elapsedMs: deps.now() - t0,
    interrupted: result.outcome === "interrupted",
  };
}

/**
 * How soon to ask again for parked rows whose endpoint was full; a finished attempt of this run
 * asks at once (slots other processes free are found by this poll).
 */
const parkedRetryMs = 50;

/** A delivery this run persisted and has not finished with. */
interface Open {
  outcome: DeliveryOutcome;
  /** Copies started or given up so far. */
  copies: number;
}

/**
 * Creates the run's events as the engine asks for work, and brings each delivery back for its
 * next copy once the previous one is recorded (copies of one delivery never overlap). Without
 * --shuffle a delivery's copies go back to back, so fewer deliveries are open at once.
 */
class SendSource implements WorkSource {
  private persisted = 0;
  /** Deliveries whose next copy may go now. */
  private again: string[] = [];
  /**
   * Persisted but not leased: their endpoint's limits are shared with other processes
   * (PostgreSQL), so they are claimed like any row, taking a slot and a token when one is free.
   */
  private readonly parked = new Set<string>();
  /** Parked rows that are a next copy (reopened by `again`), not a delivery's first send. */
  private readonly parkedCopies = new Set<string>();
  /** When to ask for parked rows again after a claim brought none (their endpoint was full). */
  private parkedAskAt = Number.NEGATIVE_INFINITY;
  /** An attempt of this run finished since the last request: a slot may be free. */
  private finishedSinceAsk = false;
  /** What the last request asked for: new rows inserted, copies reopened, parked rows claimed. */
  private asked: { inserted: number; again: readonly string[]; parked: number } = {
    inserted: 0,
    again: [],
    parked: 0,
  };
  private readonly open = new Map<string, Open>();
  private readonly total: number;
  private readonly maxOpen: number;
  private readonly policyJson: string;
  private readonly tally: SendTally = { succeeded: 0, pending: 0, dead: 0, elsewhere: 0 };
  private readonly latency = new LatencyHistogram();
  private readonly statuses = new Histogram();
  private done = 0;
  private notStarted = 0;
  private nextRetryAt: number | null = null;
  private tlsFailure: SendResult["tlsFailure"] = null;
  private readonly pendingIds: string[] = [];

  constructor(
    private readonly plan: SendPlan,
    private readonly deps: SendDeps,
    private readonly emit: (event: SendEvent) => void,
  ) {
    this.total = plan.count * plan.duplicate;
    this.maxOpen =
      plan.duplicate > 1 && !plan.shuffle
        ? Math.max(1, Math.ceil(plan.concurrency / plan.duplicate))
        : Infinity;
    this.policyJson = JSON.stringify(plan.target.policy);
  }

  readyAt(now: number): number | null {
    if (this.again.length > 0 || this.canCreate()) return now;
    return this.parked.size > 0 ? Math.max(now, this.parkedAskAt) : null;
  }

  private canCreate(): boolean {
    // Parked rows wait for their endpoint: persisting more ahead of it would only grow the queue.
    return (
      this.persisted < this.plan.count &&
      this.open.size < this.maxOpen &&
      this.parked.size < this.plan.concurrency
    );
  }

  ask(context: AskContext) {
    const items: NewWork[] = [];
    const ids: string[] = [];
    const parked: string[] = [];
    if (context.now >= this.parkedAskAt) {
      for (const id of this.parked) {
        if (parked.length >= context.limit) break;
        parked.push(id);
      }
    }
    while (
      items.length + ids.length + parked.length < context.limit &&
      (this.again.length > 0 || this.canCreate())
    ) {
      // Without --shuffle a copy goes before anything new; with it, new and again are drawn at random.
      const fresh =
        this.again.length === 0 ||
        (this.plan.shuffle && this.canCreate() && this.deps.random() * (this.again.length + 1) < 1);
      if (fresh) items.push(this.create(context.now));
      else ids.push(this.takeAgain());
    }
    this.asked = { inserted: items.length, again: ids, parked: parked.length };
    this.finishedSinceAsk = false;
    if (items.length === 0 && ids.length === 0 && parked.length === 0) return undefined;
    const lease = { token: context.token, marginMs: context.marginMs };
    const claim = { ...lease, limit: parked.length, exclude: context.exclude, scope: undefined, ids: parked };
    return {
      ...(items.length > 0 ? { insert: { ...lease, items } } : {}),
      ...(ids.length > 0 ? { again: { ...lease, ids } } : {}),
      ...(parked.length > 0 ? { claim } : {}),
    };
  }

  private takeAgain(): string {
    if (!this.plan.shuffle) return this.again.shift() as string;
    const i = Math.floor(this.deps.random() * this.again.length);
    const [id] = this.again.splice(i, 1);
    return id as string;
  }

  private create(now: number): NewWork {
    const { target, event } = this.plan;
    const eventRow = {
      id: this.deps.newId("evt"),
      type: event.type,
      body: event.body,
      contentType: event.contentType,
      createdAt: now,
    };
    const delivery: NewDelivery = {
      id: this.deps.newId("dlv"),
      endpointId: target.endpointId,
      url: target.url,
      scheme: target.scheme,
      extraHeaders: target.extraHeaders,
      secrets: target.secrets,
      policy: this.policyJson,
      timeoutMs: target.timeoutMs,
      tls: target.tls,
    };
    this.persisted++;
    this.open.set(delivery.id, { outcome: initialOutcome(delivery.id, eventRow, target), copies: 1 });
    return { event: eventRow, delivery };
  }

  answered(result: ExchangeResult, _asked: number, now: number): void {
    if (this.asked.inserted > 0)
      this.emit({ type: "persisted", at: now, events: this.persisted, total: this.plan.count });
    const reopened = new Set(this.asked.again);
    for (const id of result.parked ?? []) {
      this.parked.add(id);
      if (reopened.has(id)) this.parkedCopies.add(id);
    }
    // A parked first send is counted as a copy when it was created; a parked next copy, when it
    // is claimed or turns out taken by another process (then it is skipped), as a reopened one.
    let unparked = 0;
    for (const work of result.work) {
      if (!this.parked.delete(work.delivery.id)) continue;
      this.parkedCopies.delete(work.delivery.id);
      unparked++;
    }
    let gone = 0;
    const counted = result.refused.filter((id) => {
      if (!this.parked.delete(id)) return true;
      gone++;
      return this.parkedCopies.delete(id);
    });
    // Nothing came of asking (the endpoint was full), and no attempt of ours freed a slot since.
    if (this.asked.parked > 0 && unparked === 0 && gone === 0 && !this.finishedSinceAsk) {
      this.parkedAskAt = now + parkedRetryMs;
    }
    // A reopened copy (or one refused: another process holds the delivery) counts as asked for.
    const asked = [
      ...result.work
        .filter((work) => work.delivery.nextTrigger !== "initial")
        .map((work) => work.delivery.id),
      ...counted,
    ];
    for (const id of asked) {
      const slot = this.open.get(id);
      if (slot) slot.copies++;
    }
    for (const id of result.refused) this.skip(id, now);
  }

  recorded(report: DeliveryReport, recorded: boolean): void {
    // A finished attempt may have freed a slot of a parked row's endpoint: ask at once.
    this.parkedAskAt = Number.NEGATIVE_INFINITY;
    this.finishedSinceAsk = true;
    const id = report.delivery.id;
    const slot = this.open.get(id);
    if (!slot) return;
    const { attempt } = report;
    this.latency.add(attempt.durationMs);
    this.statuses.add(outcomeKey(attempt));
    if (attempt.errorClass === "tls" && !this.tlsFailure) {
      this.tlsFailure = { url: attempt.url, errorMessage: attempt.errorMessage };
    }
    applyReport(slot.outcome, { ...report, stale: !recorded });
    const at = this.deps.now();
    this.emit({ type: "attempt", at, report, copy: slot.copies, done: ++this.done, total: this.total });
    this.next(id, slot, at);
  }

  /** The current copy will not be sent: another process holds the delivery. */
  private skip(id: string, at: number): void {
    const slot = this.open.get(id);
    if (!slot) return;
    slot.outcome.skipped++;
    this.emit({
      type: "skipped",
      at,
      deliveryId: id,
      copy: slot.copies,
      done: ++this.done,
      total: this.total,
    });
    this.next(id, slot, at);
  }

  dropped(id: string, reason: "lost" | "stopped"): void {
    // Stopped copies are counted as not started when the run ends.
    if (reason === "lost") this.skip(id, this.deps.now());
  }

  private next(id: string, slot: Open, at: number): void {
    if (slot.copies < this.plan.duplicate) {
      this.again.push(id);
      return;
    }
    this.close(id, slot, at);
  }

  private close(id: string, slot: Open, at: number): void {
    this.open.delete(id);
    const { outcome } = slot;
    if (outcome.sends + outcome.skipped === 0) return;
    if (outcome.sends === 0) this.tally.elsewhere++;
    else if (outcome.status === "succeeded") this.tally.succeeded++;
    else if (outcome.status === "dead") this.tally.dead++;
    else {
      this.tally.pending++;
      if (this.plan.keepPending && outcome.nextAttemptAt !== null) this.pendingIds.push(id);
      const next = outcome.nextAttemptAt;
      if (next !== null && (this.nextRetryAt === null || next < this.nextRetryAt)) this.nextRetryAt = next;
    }
    this.emit({ type: "delivery", at, outcome });
  }

  async lull(now: number): Promise<Lull> {
    const at = this.readyAt(now);
    return at === null ? { done: true } : { done: false, wakeAt: at };
  }

  /** The run is over: what is still open was interrupted; its copies not sent are not started. */
  finish(): void {
    const at = this.deps.now();
    for (const [id, slot] of [...this.open]) {
      // The copy that was leased and handed back (or never asked for) did not start.
      const started = slot.outcome.sends + slot.outcome.skipped;
      this.notStarted += this.plan.duplicate - started;
      this.close(id, slot, at);
    }
    this.again = [];
    this.parked.clear();
    this.parkedCopies.clear();
  }

  summary(): Omit<SendResult, "elapsedMs" | "interrupted" | "attempts"> {
    return {
      tally: { ...this.tally },
      nextRetryAt: this.nextRetryAt,
      latency: this.latency.summary(),
      histogram: this.statuses.toJSON(),
      persisted: this.persisted,
      notPersisted: this.plan.count - this.persisted,
      notStarted: this.notStarted,
      tlsFailure: this.tlsFailure,
      pendingIds: this.pendingIds,
    };
  }
}
