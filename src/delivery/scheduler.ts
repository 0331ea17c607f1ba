import { deliverClaimed } from "./deliver.js";
import { mergePolicy, parsePolicy, type RetryPolicy } from "./policy.js";
import { Alarm } from "./scheduler-alarm.js";
import { BatchedLeases } from "./scheduler-batch.js";
import type { SchedulerCounts, SchedulerEvent, SchedulerResult } from "./scheduler-events.js";
import { EndpointGates } from "./scheduler-gates.js";
import { Intake, type Launch } from "./scheduler-intake.js";
import { reportAttempt } from "./scheduler-report.js";
import { SchedulerStore } from "./scheduler-store.js";
import type { SchedulerDeps, SchedulerOptions } from "./scheduler-types.js";

export type { SchedulerCounts, SchedulerEvent, SchedulerResult } from "./scheduler-events.js";
export type { RateLimiter } from "./scheduler-gates.js";
export type { SchedulerDeps, SchedulerOptions } from "./scheduler-types.js";

const countsEveryMs = 250;

/**
 * Run the schedule: claim due deliveries under a lease, deliver them concurrently, sleep until
 * the next one is due, and return when nothing is pending or in flight (never, with `watch`,
 * until aborted). On abort it stops claiming and lets running attempts finish.
 */
export function runScheduler(deps: SchedulerDeps, options: SchedulerOptions = {}): Promise<SchedulerResult> {
  return new Scheduler(deps, options).run();
}

class Scheduler {
  private readonly leases: BatchedLeases;
  private readonly store: SchedulerStore;
  private readonly gates: EndpointGates;
  private readonly intake: Intake;
  /** HTTP exchanges in progress. */
  private readonly running = new Map<string, Promise<void>>();
  /** Finished exchanges whose record is queued or being reported. */
  private readonly recording = new Map<string, Promise<void>>();
  private readonly signal: AbortSignal;
  private readonly concurrency: number;
  private readonly override: Partial<RetryPolicy> | undefined;
  private readonly tally = { succeeded: 0, dead: 0, attempts: 0, lost: 0 };
  private failure: { error: unknown } | undefined;
  private readonly alarm: Alarm;
  private lastCountsAt = Number.NEGATIVE_INFINITY;
  private lastIdle: number | null | undefined;
  private nextDue: number | null = null;
  /** `stopAt` has passed: claim nothing more, finish what runs. */
  private timeUp = false;

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly options: SchedulerOptions,
  ) {
    this.leases = new BatchedLeases(deps.db, (error) => this.fail(error));
    this.store = new SchedulerStore(deps.db, this.leases, options.scope);
    this.gates = new EndpointGates((id) => this.store.endpointLimits(id), deps.rateLimiter);
    this.intake = new Intake({
      db: deps.db,
      store: this.store,
      leases: this.leases,
      gates: this.gates,
      newToken: deps.newToken,
      marginMs: this.marginMs,
      dueBy: options.dueBy,
      emit: (event) => this.emit(event),
    });
    this.signal = options.signal ?? new AbortController().signal;
    this.alarm = new Alarm(deps.sleep, this.signal);
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    const override = options.policy ?? {};
    this.override = Object.values(override).some((v) => v !== undefined) ? override : undefined;
  }

  private get marginMs(): number {
    return this.options.leaseMarginMs ?? 5000;
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    this.alarm.ring();
  }

  private emit(event: SchedulerEvent): void {
    this.options.onEvent?.(event);
  }

  async run(): Promise<SchedulerResult> {
    const reclaimed = this.leases.reclaimExpired(this.deps.now());
    this.emit({
      type: "started",
      at: this.deps.now(),
      pending: this.store.pendingCount(),
      reclaimed,
      watch: this.options.watch === true,
    });
    while (!this.signal.aborted && !this.failure) {
      this.alarm.reset();
      const now = this.deps.now();
      if (this.options.stopAt !== undefined && now >= this.options.stopAt) {
        this.timeUp = true;
        break;
      }
      const launches = this.step(now);
      for (const launch of launches) this.launch(launch, now);
      const delay = this.plan(now, launches.length);
      if (delay === "done") break;
      await this.alarm.wait(delay);
      // Attempts that finish together are recorded before the next claim, so claims stay batched.
      if (this.alarm.pending) await new Promise((resolve) => setImmediate(resolve));
    }
    this.intake.releaseAll(this.deps.now());
    await Promise.all(this.running.values());
    this.leases.flush();
    await Promise.all(this.recording.values());
    if (this.failure) throw this.failure.error;
    const outcome = this.signal.aborted ? "interrupted" : this.timeUp ? "time-limit" : "done";
    const counts = this.counts(this.deps.now());
    this.emit({ type: "stopped", at: this.deps.now(), reason: outcome, ...counts });
    return { outcome, lost: this.tally.lost, ...counts };
  }

  /**
   * Start what can start. Slots are filled from rows claimed ahead; only when those run out (or
   * a slot-load of records is waiting, or nothing is running) is there one short write
   * transaction that records what finished and claims what is next. So a busy run commits about
   * once per `concurrency` attempts, not twice per attempt.
   */
  private step(now: number): Launch[] {
    const free = this.concurrency - this.running.size;
    const launches = free > 0 ? this.intake.drain(now, free) : [];
    const stillFree = free - launches.length;
    const queued = this.leases.queued;
    const flush = queued >= this.concurrency || (queued > 0 && (stillFree > 0 || this.running.size === 0));
    if (!flush && stillFree <= 0) return launches;
    try {
      const started = this.leases.writeWith(() => {
        const more = stillFree > 0 && !this.signal.aborted;
        return more ? [...launches, ...this.intake.take(now, stillFree, this.concurrency)] : launches;
      });
      // Damaged rows met while claiming went to the dead letters: they count as dead in this run.
      for (const id of this.leases.takeShelved()) {
        this.tally.dead++;
        this.emit({
          type: "delivery-dead",
          at: now,
          deliveryId: id,
          reason: "damaged",
          attempts: 0,
          error: null,
        });
      }
      return started;
    } catch (error) {
      this.fail(error);
      return launches;
    }
  }

  private launch({ row, token, event, secrets, done }: Launch, now: number): void {
    const policy = this.override
      ? mergePolicy(parsePolicy(row.policy, `deliveries ${row.id} policy`), this.override)
      : undefined;
    this.lastIdle = undefined;
    this.emit({
      type: "attempt-started",
      at: now,
      deliveryId: row.id,
      eventType: event.type,
      url: row.url,
      attempt: row.attemptCount + 1,
      trigger: row.nextTrigger,
    });
    const http = deliverClaimed(
      { delivery: row, event, secrets, leaseToken: token, policy },
      { ...this.deps, leases: this.leases, leaseMs: row.timeoutMs + this.marginMs },
    );
    // The slot frees as soon as the HTTP exchange is over; the record is written by the next step.
    this.running.set(
      row.id,
      http
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          done();
          this.running.delete(row.id);
          this.alarm.ring();
        }),
    );
    const record = http.then(
      async (report) => {
        const recorded = await this.leases.recorded(row.id);
        reportAttempt(report, recorded, this.deps.now(), this.tally, (e) => this.emit(e));
        this.maybeCounts(this.deps.now(), false);
      },
      (error: unknown) => {
        this.leases.release(row.id, token, this.deps.now());
        this.fail(error);
      },
    );
    this.recording.set(
      row.id,
      record.finally(() => {
        this.recording.delete(row.id);
        this.alarm.ring();
      }),
    );
  }

  /** How long to wait before looking again: ms, undefined (until an attempt finishes), or done. */
  private plan(now: number, claimed: number): number | undefined | "done" {
    if (this.running.size >= this.concurrency) return undefined;
    const blocked = this.gates.blocked(now);
    const outlook = this.store.outlook(
      blocked,
      (id) => this.running.has(id) || this.recording.has(id) || this.intake.holds(id),
      this.running.size + this.recording.size + this.intake.size,
    );
    this.nextDue = outlook.nextDue;
    if (outlook.foreignLeaseExpiry !== null && outlook.foreignLeaseExpiry <= now) {
      const count = this.leases.reclaimExpired(now);
      if (count > 0) this.emit({ type: "reclaimed", at: now, count });
      return 0;
    }
    const idle = this.running.size === 0 && this.recording.size === 0;
    if (idle && !outlook.anyPending && outlook.foreignLeaseExpiry === null && !this.options.watch)
      return "done";
    const { dueBy } = this.options;
    const moreDue = dueBy === undefined || (outlook.nextDue !== null && outlook.nextDue <= dueBy);
    if (!moreDue && this.gates.nextUnblock(now) === null) {
      // Nothing more is due by the cut-off: later retries stay scheduled for a later run.
      return idle ? "done" : undefined;
    }
    const wakeAt = [
      outlook.nextDue,
      outlook.foreignLeaseExpiry,
      this.gates.nextUnblock(now),
      this.options.stopAt ?? null,
    ].filter((t): t is number => t !== null);
    // Someone else's attempts may finish and schedule retries at any time: look every poll.
    if (this.options.watch || outlook.foreignLeaseExpiry !== null)
      wakeAt.push(now + (this.options.pollMs ?? 1000));
    if (idle) this.idle(now, outlook.nextDue, outlook.nextDueId);
    this.maybeCounts(now, idle);
    if (wakeAt.length === 0) return undefined;
    // A due row we could not claim (another scheduler took it first): look again soon, not in a spin.
    const earliest = Math.min(...wakeAt);
    return Math.max(claimed === 0 && earliest <= now ? 5 : 0, earliest - now);
  }

  private idle(now: number, until: number | null, next: string | null): void {
    if (this.lastIdle === until) return;
    this.lastIdle = until;
    this.emit({ type: "idle", at: now, until, next, pending: this.store.pendingCount() });
  }

  private counts(now: number): SchedulerCounts {
    this.lastCountsAt = now;
    return {
      pending: this.store.pendingCount(),
      inFlight: this.running.size,
      succeeded: this.tally.succeeded,
      dead: this.tally.dead,
      attempts: this.tally.attempts,
      nextAttemptAt: this.nextDue,
    };
  }

  /** Counting pending rows is a scan of the due index: do it a few times a second at most. */
  private maybeCounts(now: number, force: boolean): void {
    if (!this.options.onEvent || (!force && now - this.lastCountsAt < countsEveryMs)) return;
    this.emit({ type: "counts", at: now, ...this.counts(now) });
  }
}
