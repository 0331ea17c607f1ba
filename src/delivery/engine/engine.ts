import type { Completion, EngineStore, ExchangeRequest, Work } from "../../store/engine-port.js";
import { type AttemptResult, type DeliveryReport, makeAttempt } from "../deliver.js";
import { mergePolicy, parsePolicy, type RetryPolicy } from "../policy.js";
import type { Sleep } from "../rate-limit.js";
import type { AttemptFn } from "../types.js";
import { Alarm } from "./alarm.js";
import type { SchedulerCounts, SchedulerEvent, SchedulerResult } from "./events.js";
import { EndpointGates, type RateLimiter } from "./gates.js";
import { Holdings } from "./holdings.js";
import { reportAttempt, type Tally } from "./report.js";
import type { WorkSource } from "./source.js";

/** Everything with a side effect the engine touches; tests pass a fake clock and sleep. */
export interface EngineDeps {
  store: EngineStore;
  attempt: AttemptFn;
  /** Milliseconds since the epoch: claims, schedules, leases and commit windows are judged by it. */
  now: () => number;
  /** Resolve after `ms`, or as soon as `signal` aborts (it must not reject): the engine's only timer. */
  sleep: Sleep;
  random: () => number;
  /** A fresh, unguessable lease token per claimed batch: the fence a stale holder cannot pass. */
  newToken: () => string;
  randomHex: (bytes: number) => string;
  userAgent: string;
  /** Token buckets for endpoints with a rate; without it rates are not enforced. */
  rateLimiter?: (ratePerSecond: number) => RateLimiter;
}

/**
 * How many deliveries an engine holds claimed ahead of its running attempts. A few slot-loads
 * (fewer, larger transactions: at least 128, so a claim and its commit carry ~64 rows each,
 * which measured 10% more deliveries/s than 64 at concurrency 8); about a second's worth at most
 * for a rate-limited run, so an interrupted one leaves little claimed.
 */
export function claimAhead(concurrency: number, runRate?: number | null): number {
  const ahead = Math.min(1024, Math.max(128, 4 * concurrency));
  return runRate ? Math.max(1, Math.min(ahead, Math.ceil(runRate))) : ahead;
}

export interface EngineOptions {
  /** Attempts running at once (default 8). */
  concurrency?: number;
  /** Policy fields that override the one recorded with each delivery. */
  policy?: Partial<RetryPolicy>;
  /** A lease lasts the delivery's timeout plus this (default 5 s); renewed every half of it. */
  leaseMarginMs?: number;
  /**
   * A finished attempt is committed at the latest this long after it finished (default 5 ms),
   * together with every other finished by then: the most a crash can lose, and the most
   * progress output lags.
   */
  commitWindowMs?: number;
  /** At most this many attempts per second over the whole run (`send --rate`). */
  runRate?: number | null;
  /** Stop taking work at this time and return once running attempts finish (`replay --for`). */
  stopAt?: number;
  signal?: AbortSignal;
  onEvent?: (event: SchedulerEvent) => void;
  /**
   * Pending deliveries for the `started`, `idle` and `counts` events (the log source's count);
   * `finished` is how many deliveries this run has brought to succeeded or dead so far.
   */
  pendingCount?: (finished: number, fresh?: boolean) => Promise<number>;
  watch?: boolean;
}

export const defaultLeaseMarginMs = 5000;
export const defaultCommitWindowMs = 5;
/** Records written per exchange at most: one transaction stays short whatever the backlog. */
const maxBatch = 512;
const countsEveryMs = 250;
/** Renewal runs every half margin, but not more often than this (a margin of 0 is allowed). */
const minRenewEveryMs = 100;

interface Finished {
  work: Work;
  result: AttemptResult;
}

/**
 * The one delivery engine, behind `replay`, `send` and (later) `serve`. One loop: take work from
 * the source a batch ahead of the workers, start what the endpoint gates admit, and commit
 * finished attempts together with the next claims, at most `commitWindowMs` after the oldest
 * finished. A record is reported only once committed. Every lease it holds is renewed every half
 * margin; on stop it hands back what never started and records what ran.
 */
export class Engine {
  private readonly holdings = new Holdings();
  private readonly running = new Map<string, Promise<void>>();
  private finished: Finished[] = [];
  private oldestFinishedAt = 0;
  private releases: { id: string; token: string }[] = [];
  private readonly gates: EndpointGates;
  private readonly alarm: Alarm;
  private readonly signal: AbortSignal;
  private readonly concurrency: number;
  private readonly ahead: number;
  /** Ask for more once fewer than this are ready: early enough that a store a round trip away keeps up. */
  private readonly lowWater: number;
  private readonly marginMs: number;
  private readonly windowMs: number;
  private readonly override: Partial<RetryPolicy> | undefined;
  private readonly attemptDeps;
  private readonly tally = { succeeded: 0, dead: 0, attempts: 0, lost: 0 };
  private failure: { error: unknown } | undefined;
  /** The exchange under way: one at a time, and the loop goes on starting work meanwhile. */
  private exchanging: Promise<void> | undefined;
  private nextRenewAt = 0;
  private lastCountsAt = Number.NEGATIVE_INFINITY;
  private lastIdle: number | null | undefined;
  private nextDue: number | null = null;
  private timeUp = false;

  constructor(
    private readonly deps: EngineDeps,
    private readonly source: WorkSource,
    private readonly options: EngineOptions = {},
  ) {
    this.signal = options.signal ?? new AbortController().signal;
    this.alarm = new Alarm(deps.sleep, deps.now, this.signal);
    this.gates = new EndpointGates(deps.rateLimiter, options.runRate);
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.ahead = claimAhead(this.concurrency, options.runRate);
    this.lowWater = Math.max(this.concurrency, Math.floor(this.ahead / 2));
    this.marginMs = options.leaseMarginMs ?? defaultLeaseMarginMs;
    this.windowMs = options.commitWindowMs ?? defaultCommitWindowMs;
    const override = options.policy ?? {};
    this.override = Object.values(override).some((v) => v !== undefined) ? override : undefined;
    this.attemptDeps = {
      attempt: deps.attempt,
      now: deps.now,
      random: deps.random,
      userAgent: deps.userAgent,
      randomHex: deps.randomHex,
    };
  }

  async run(): Promise<SchedulerResult> {
    const startedAt = this.deps.now();
    const reclaimed = await this.deps.store.reclaimExpired(startedAt);
    if (this.options.onEvent) {
      this.emit({
        type: "started",
        at: startedAt,
        pending: (await this.options.pendingCount?.(this.tally.succeeded + this.tally.dead)) ?? 0,
        reclaimed,
        watch: this.options.watch === true,
      });
    }
    this.nextRenewAt = startedAt + this.renewEveryMs;
    try {
      await this.loop();
    } catch (error) {
      this.fail(error);
    }
    await this.windDown();
    if (this.failure) throw this.failure.error;
    const outcome = this.signal.aborted ? "interrupted" : this.timeUp ? "time-limit" : "done";
    const counts = await this.counts(this.deps.now(), true);
    this.emit({ type: "stopped", at: this.deps.now(), reason: outcome, ...counts });
    return { outcome, lost: this.tally.lost, ...counts };
  }

  /** What this run has finished so far (also after it failed). */
  get progress(): Readonly<Tally> {
    return this.tally;
  }

  /** Something outside changed (new work in the log): the loop looks again at once. */
  wake(): void {
    this.alarm.ring();
  }

  private async loop(): Promise<void> {
    while (!this.signal.aborted && !this.failure) {
      const now = this.deps.now();
      if (this.options.stopAt !== undefined && now >= this.options.stopAt) {
        this.timeUp = true;
        return;
      }
      if (now >= this.nextRenewAt && this.holdings.holdsAny) {
        await this.renew(now);
        continue;
      }
      this.holdings.unpark((gate) => this.gates.isBlocked(gate, now));
      this.start(now);
      if (!this.exchanging) {
        const wantsWork = this.wantsWork(now);
        if (wantsWork || this.commitDue(now)) {
          // Not awaited: with a store a round trip away (a network database), attempts keep
          // starting from the ready queue while the batch is written.
          this.exchanging = this.exchange(now, wantsWork)
            .catch((error: unknown) => this.fail(error))
            .finally(() => {
              this.exchanging = undefined;
              this.alarm.ring();
            });
          continue;
        }
      }
      const wakeAt = await this.plan(now);
      if (wakeAt === "done") return;
      await this.alarm.wait(wakeAt);
    }
  }

  private get renewEveryMs(): number {
    return Math.max(minRenewEveryMs, this.marginMs / 2);
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    this.alarm.ring();
  }

  private emit(event: SchedulerEvent): void {
    this.options.onEvent?.(event);
  }

  /** Fewer than the low-water mark ready, and the source may have more now. */
  private wantsWork(now: number): boolean {
    if (this.holdings.ready.length >= this.lowWater || this.gates.runBlockedUntil(now) !== null) return false;
    const at = this.source.readyAt(now);
    return at !== null && at <= now;
  }

  private commitDue(now: number): boolean {
    const queued = this.finished.length;
    if (queued > 0) {
      return queued >= maxBatch || this.running.size === 0 || now >= this.oldestFinishedAt + this.windowMs;
    }
    return this.releases.length > 0 && this.running.size === 0;
  }

  /** One round trip: commit what finished, hand back what was released, and (maybe) take more work. */
  private async exchange(now: number, ask: boolean): Promise<void> {
    const finished = this.finished.splice(0, maxBatch);
    const releases = this.releases;
    this.releases = [];
    const request: ExchangeRequest = {
      now,
      completions: finished.map(
        ({ work, result }): Completion => ({ token: work.token, attempt: result.attempt, next: result.next }),
      ),
      releases,
    };
    const limit = this.ahead - this.holdings.ready.length;
    const exclude = ask ? this.gates.blocked(now) : [];
    const wanted = ask
      ? this.source.ask({ now, limit, token: this.deps.newToken(), marginMs: this.marginMs, exclude })
      : undefined;
    if (wanted) Object.assign(request, wanted);
    if (!wanted && finished.length === 0 && releases.length === 0) return;
    // A failed exchange ends the run: what it would have recorded is lost, and those deliveries'
    // leases lapse so that they are sent again (at-least-once, same delivery id).
    const result = await this.deps.store.exchange(request);
    const at = this.deps.now();
    for (const [i, { work, result: made }] of finished.entries()) {
      const recorded = result.recorded[i] === true;
      this.holdings.letGo(work.delivery.id, work.token);
      const report: DeliveryReport = {
        delivery: work.delivery,
        event: work.event,
        attempt: made.attempt,
        decision: made.decision,
        stale: !recorded,
      };
      this.source.recorded(report, recorded);
      reportAttempt(report, recorded, at, this.tally, this.options.onEvent);
    }
    for (const { id, token } of releases) this.holdings.letGo(id, token);
    for (const id of result.shelved) {
      // Damaged rows met while claiming went to the dead letters: they count as dead in this run.
      this.tally.dead++;
      this.emit({ type: "delivery-dead", at, deliveryId: id, reason: "damaged", attempts: 0, error: null });
    }
    for (const work of result.work) {
      const endpoint = work.delivery.endpointId;
      if (endpoint !== null && !this.gates.knows(endpoint)) {
        this.gates.learn(endpoint, await this.deps.store.endpointLimits(endpoint));
      }
      if (
        this.holdings.has(work.delivery.id) &&
        !this.holdings.dropOlderCopy(work, this.running.has(work.delivery.id))
      ) {
        // Its older copy is running: hand the new lease back; the old attempt's record will be
        // refused and the delivery goes again later (at-least-once, never two at a time).
        this.holdings.count(work.token);
        this.releases.push({ id: work.delivery.id, token: work.token });
        continue;
      }
      this.holdings.hold(work);
      this.holdings.ready.push(work);
    }
    if (wanted) this.source.answered(result, limit, at);
    this.maybeCounts(at, false);
  }

  /** Start what the gates admit, up to the concurrency; the rest waits parked, still leased. */
  private start(now: number): void {
    const { ready } = this.holdings;
    while (this.running.size < this.concurrency && ready.length > 0) {
      const work = ready.shift() as Work;
      const admission = this.gates.admit(work.delivery.endpointId, now);
      if (!admission.ok) {
        this.holdings.park(admission.gate, work);
        if (admission.reason === "rate" && admission.newly && admission.endpoint.id !== "*") {
          this.emit({
            type: "rate-limited",
            at: now,
            endpointId: admission.endpoint.id,
            endpoint: admission.endpoint.name,
            until: admission.until,
          });
        }
        continue;
      }
      this.launch(work, admission.release, now);
    }
  }

  private launch(work: Work, release: () => void, now: number): void {
    const { delivery } = work;
    this.lastIdle = undefined;
    if (this.options.onEvent) {
      this.emit({
        type: "attempt-started",
        at: now,
        deliveryId: delivery.id,
        eventType: work.event.type,
        url: delivery.url,
        attempt: delivery.attemptCount + 1,
        trigger: delivery.nextTrigger,
      });
    }
    const policy = this.override
      ? mergePolicy(parsePolicy(delivery.policy, `deliveries ${delivery.id} policy`), this.override)
      : undefined;
    const claimed = { delivery, event: work.event, secrets: work.secrets, leaseToken: work.token, policy };
    const running = makeAttempt(claimed, this.attemptDeps).then(
      (result) => {
        if (this.finished.length === 0) this.oldestFinishedAt = this.deps.now();
        this.finished.push({ work, result });
      },
      (error: unknown) => {
        // Not attempted, or not judged: hand it back, still due.
        this.releases.push({ id: delivery.id, token: work.token });
        this.fail(error);
      },
    );
    this.running.set(
      delivery.id,
      running.finally(() => {
        release();
        this.running.delete(delivery.id);
        this.next();
      }),
    );
  }

  /**
   * A slot freed: start the next ready attempt right here rather than on the loop's next turn,
   * and wake the loop only when it has something to do (claims, the first record of a window,
   * a full batch, or nothing left running).
   */
  private next(): void {
    const now = this.deps.now();
    const stopping =
      this.signal.aborted ||
      this.failure !== undefined ||
      (this.options.stopAt !== undefined && now >= this.options.stopAt) ||
      now >= this.nextRenewAt;
    if (!stopping) this.start(now);
    const queued = this.finished.length;
    if (
      stopping ||
      this.running.size === 0 ||
      this.holdings.ready.length < this.lowWater ||
      queued === 1 ||
      queued >= maxBatch
    ) {
      this.alarm.ring();
    }
  }

  /** Extend every lease held; rows whose lease was lost meanwhile (a stalled process) are dropped unsent. */
  private async renew(now: number): Promise<void> {
    this.nextRenewAt = now + this.renewEveryMs;
    const asked = this.holdings.tokenList();
    const kept = new Set(await this.deps.store.renew(asked, now, this.marginMs));
    this.holdings.dropLost(new Set(asked), kept, (work) => this.source.dropped(work.delivery.id, "lost"));
  }

  /** When to look again: a time, undefined (when something rings), or done. */
  private async plan(now: number): Promise<number | undefined | "done"> {
    const times: number[] = [];
    // While an exchange is on its way the next commit waits for it (its end wakes the loop).
    if (this.finished.length > 0 && !this.exchanging) times.push(this.oldestFinishedAt + this.windowMs);
    if (this.holdings.holdsAny) times.push(this.nextRenewAt);
    if (this.options.stopAt !== undefined) times.push(this.options.stopAt);
    const unblock = this.gates.nextUnblock(now);
    if (unblock !== null) times.push(unblock);
    const busy =
      this.exchanging !== undefined ||
      this.running.size > 0 ||
      this.finished.length > 0 ||
      this.holdings.ready.length > 0 ||
      this.holdings.parkedSize > 0 ||
      this.releases.length > 0;
    if (busy) {
      const at =
        this.holdings.ready.length < this.lowWater && !this.exchanging ? this.source.readyAt(now) : null;
      if (at !== null) times.push(Math.max(at, now + 1));
      this.maybeCounts(now, false);
    } else {
      const lull = await this.source.lull(now, {
        held: this.holdings.ids(),
        exclude: this.gates.blocked(now),
        nextUnblock: unblock,
      });
      if (lull.done) return "done";
      if (lull.wakeAt !== null) times.push(lull.wakeAt);
      if (lull.idle) {
        this.nextDue = lull.idle.until;
        if (this.lastIdle !== lull.idle.until) {
          this.lastIdle = lull.idle.until;
          const pending =
            (await this.options.pendingCount?.(this.tally.succeeded + this.tally.dead, true)) ?? 0;
          this.emit({ type: "idle", at: now, until: lull.idle.until, next: lull.idle.next, pending });
        }
      }
      this.maybeCounts(now, true);
    }
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Hand back what never started, let running attempts finish, and record everything that ran. */
  private async windDown(): Promise<void> {
    await this.exchanging;
    for (const work of this.holdings.takeUnstarted()) {
      this.releases.push({ id: work.delivery.id, token: work.token });
      this.source.dropped(work.delivery.id, "stopped");
    }
    await Promise.all(this.running.values());
    try {
      while (this.finished.length > 0 || this.releases.length > 0)
        await this.exchange(this.deps.now(), false);
    } catch (error) {
      this.fail(error);
    }
    this.alarm.close();
  }

  private async counts(now: number, fresh = false): Promise<SchedulerCounts> {
    this.lastCountsAt = now;
    const pending = (await this.options.pendingCount?.(this.tally.succeeded + this.tally.dead, fresh)) ?? 0;
    return {
      pending,
      inFlight: this.running.size,
      succeeded: this.tally.succeeded,
      dead: this.tally.dead,
      attempts: this.tally.attempts,
      // The last wait's time is stale once nothing is left to wait for.
      nextAttemptAt: pending === 0 && this.running.size === 0 ? null : this.nextDue,
    };
  }

  /** Counting pending rows is a scan of the due index: a few times a second at most. */
  private maybeCounts(now: number, force: boolean): void {
    if (!this.options.onEvent || (!force && now - this.lastCountsAt < countsEveryMs)) return;
    this.lastCountsAt = now;
    // A count the log could not answer is left out: the next exchange meets the fault and says so.
    void this.counts(now).then(
      (counts) => this.emit({ type: "counts", at: now, ...counts }),
      () => {},
    );
  }
}
