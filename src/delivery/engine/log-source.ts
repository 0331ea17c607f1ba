import type { EngineStore, ExchangeResult, Scope } from "../../store/engine-port.js";
import type { DeliveryReport } from "../deliver.js";
import type { SchedulerEvent } from "./events.js";
import type { AskContext, EngineView, Lull, WorkSource } from "./source.js";

export interface LogSourceOptions {
  /** Only these deliveries (a requeued set); the whole log when absent. */
  scope?: Scope;
  /** Keep running when nothing is left, picking up work other processes add. */
  watch?: boolean;
  /** How often watch mode (or a wait on someone else's lease) looks again (default 1 s). */
  pollMs?: number;
  /**
   * Attempt only deliveries due by this time (`replay --due`), then stop: retries they schedule
   * for later stay scheduled, and other processes' in-flight work is not waited for.
   */
  dueBy?: number;
  emit?: (event: SchedulerEvent) => void;
}

/** While endpoints are gated, a short claim may only mean "theirs were skipped": look again soon. */
const gatedRetryMs = 25;
/** A due row someone else claimed first: look again soon, not in a spin. */
const contendedRetryMs = 5;

/**
 * The log's due deliveries as the engine's work (`replay`, later `serve`): claims while claims
 * come back full, then sleeps until the next due time, a gate opening, someone else's lease
 * lapsing, or (watching) the next poll.
 */
export class LogSource implements WorkSource {
  /** When to claim again; -Infinity: now. */
  private nextAskAt = Number.NEGATIVE_INFINITY;
  private lastExclude: readonly string[] = [];
  private lastClaimEmpty = false;
  /** Counts wake-ups, so a lull whose store call a wake-up overtook does not push the ask later. */
  private wakes = 0;

  constructor(
    private readonly store: EngineStore,
    private readonly options: LogSourceOptions = {},
  ) {}

  readyAt(): number | null {
    return Number.isFinite(this.nextAskAt) || this.nextAskAt < 0 ? this.nextAskAt : null;
  }

  ask(context: AskContext) {
    if (context.now < this.nextAskAt) return undefined;
    this.lastExclude = context.exclude;
    return {
      claim: {
        token: context.token,
        limit: context.limit,
        marginMs: context.marginMs,
        exclude: context.exclude,
        dueBy: this.options.dueBy,
        scope: this.options.scope,
      },
    };
  }

  answered(result: ExchangeResult, asked: number, now: number): void {
    const got = result.work.length + result.shelved.length;
    this.lastClaimEmpty = got === 0;
    if (got >= asked) return;
    // Short: nothing more is due now. Retries our own attempts schedule lower this again.
    this.nextAskAt =
      this.lastExclude.length > 0 || result.heldBack === true
        ? now + gatedRetryMs
        : this.options.watch
          ? now + (this.options.pollMs ?? 1000)
          : Number.POSITIVE_INFINITY;
  }

  recorded(report: DeliveryReport, recorded: boolean): void {
    const { decision } = report;
    if (!recorded || decision.status !== "pending") return;
    const { dueBy } = this.options;
    if (dueBy !== undefined && decision.nextAttemptAt > dueBy) return;
    this.nextAskAt = Math.min(this.nextAskAt, decision.nextAttemptAt);
  }

  /** Work was just added to the log: ask for it now. */
  wake(): void {
    this.wakes++;
    this.nextAskAt = Number.NEGATIVE_INFINITY;
  }

  dropped(): void {
    // Lost or handed back: the log has it, and a later claim finds it again.
    this.nextAskAt = Number.NEGATIVE_INFINITY;
  }

  async lull(now: number, view: EngineView): Promise<Lull> {
    const { watch, dueBy, scope } = this.options;
    const wakesBefore = this.wakes;
    const outlook = await this.store.outlook(scope, view.held, view.exclude);
    if (this.wakes !== wakesBefore) return { done: false, wakeAt: now };
    if (outlook.foreignLeaseExpiry !== null && outlook.foreignLeaseExpiry <= now) {
      const count = await this.store.reclaimExpired(now);
      if (count > 0) this.options.emit?.({ type: "reclaimed", at: now, count });
      this.nextAskAt = now;
      return { done: false, wakeAt: now };
    }
    if (!outlook.anyPending && outlook.foreignLeaseExpiry === null && !watch) return { done: true };
    const moreDue = dueBy === undefined || (outlook.nextDue !== null && outlook.nextDue <= dueBy);
    // Nothing more is due by the cut-off: later retries stay scheduled for a later run.
    if (!moreDue && view.nextUnblock === null) return { done: true };
    const wakeAt = [outlook.nextDue, outlook.foreignLeaseExpiry, view.nextUnblock].filter(
      (t): t is number => t !== null,
    );
    // Someone else's attempts may finish and schedule retries at any time: look every poll.
    if (watch || outlook.foreignLeaseExpiry !== null) wakeAt.push(now + (this.options.pollMs ?? 1000));
    let earliest = wakeAt.length === 0 ? null : Math.min(...wakeAt);
    if (earliest !== null && earliest <= now && this.lastClaimEmpty) earliest = now + contendedRetryMs;
    this.nextAskAt = earliest ?? Number.POSITIVE_INFINITY;
    return { done: false, wakeAt: earliest, idle: { until: outlook.nextDue, next: outlook.nextDueId } };
  }
}
