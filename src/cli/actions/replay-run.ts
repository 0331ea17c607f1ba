import { alertLogOf } from "../../delivery/alerts/log.js";
import { type RunningAlerts, startAlerts } from "../../delivery/alerts/runner.js";
import { createAttempt } from "../../delivery/attempt.js";
import { scheduleHorizon } from "../../delivery/horizon.js";
import type { RetryPolicy } from "../../delivery/policy.js";
import { TokenBucket, timerSleep } from "../../delivery/rate-limit.js";
import { runScheduler, type SchedulerDeps, type SchedulerEvent } from "../../delivery/scheduler.js";
import { proxySettings, Transport } from "../../delivery/transport.js";
import { ExitCode } from "../../errors.js";
import type { EngineStore, Scope } from "../../store/engine-port.js";
import { engineStoreOf, type LogHandle } from "../../store/log-handle.js";
import type { Db } from "../../store/open.js";
import { type PendingSchedule, pendingSchedules } from "../../store/pending-schedules.js";
import type { PgEngineStore } from "../../store/pg/engine-store.js";
import { deliveryReadsOf } from "../../store/ports/deliveries.js";
import { describeDeliveries, type QueuedDelivery } from "../../store/queue.js";
import { SqliteEngineStore } from "../../store/sqlite-engine.js";
import { isTransientStoreFault } from "../../store/write-errors.js";
import { type AlertSpec, alertFlagWords } from "../alert-flags.js";
import { alertSinks } from "../alert-sinks.js";
import type { CliContext } from "../context.js";
import type { Output } from "../output.js";
import { createAlertRenderer } from "../render/alerts.js";
import { createReplayRenderer } from "../render/replay-progress.js";
import { packageVersion } from "../version.js";

export interface ScheduleRunOptions {
  concurrency: number;
  watch: boolean;
  policy: Partial<RetryPolicy>;
  /** Only these deliveries (a requeued set). */
  scope?: Scope;
  /** `--due`: attempt what is due now, then exit. */
  due?: boolean;
  /** `--for`: stop after this long, as Ctrl-C would. */
  forMs?: number;
  /** `--lease-margin`: a lease lasts the delivery's timeout plus this. */
  leaseMarginMs?: number;
  /** `--on-dead` / `--alert-url`: dead-letter alerts sent while the schedule runs. */
  alerts?: AlertSpec;
  /** Once the schedule is done, how long alerts may still take to go out (default 5 s). */
  alertGraceMs?: number;
}

/** Alerts still going out when the schedule is done get this long before replay exits. */
export const defaultAlertGraceMs = 5000;

/**
 * Random hex from a refilled pool: every attempt needs a trace id and every claim a token, and
 * one 4 KiB draw is far cheaper than hundreds of small ones.
 */
export function pooledHex(randomBytes: (size: number) => Uint8Array): (bytes: number) => string {
  let pool = Buffer.alloc(0);
  let offset = 0;
  return (bytes) => {
    if (offset + bytes > pool.length) {
      pool = Buffer.from(randomBytes(Math.max(4096, bytes)));
      offset = 0;
    }
    offset += bytes;
    return pool.toString("hex", offset - bytes, offset);
  };
}

/**
 * The scheduler over real time, real HTTP and the context's clock and randomness, on `store`
 * (or a SQLite connection's, for callers that hold a `Db`).
 */
export function cliSchedulerDeps(
  store: EngineStore | Db,
  ctx: Pick<CliContext, "now" | "randomBytes">,
  transport?: Transport,
): SchedulerDeps {
  const hex = pooledHex(ctx.randomBytes);
  return {
    store: "exchange" in store ? store : new SqliteEngineStore(store),
    attempt: createAttempt({ now: ctx.now, transport }),
    now: ctx.now,
    sleep: timerSleep,
    random: Math.random,
    newToken: () => hex(16),
    randomHex: hex,
    userAgent: `hookctl/${packageVersion()}`,
    rateLimiter: (ratePerSecond) => new TokenBucket({ ratePerSecond, now: ctx.now }),
  };
}

/**
 * Run the schedule with live progress and turn the outcome into replay's exit code: 130 when
 * interrupted, 1 when some delivery became dead during the run, else 0 (a `--for` run that ran
 * its time included: what is left stays scheduled). The engine store it opens is closed on
 * every way out (PostgreSQL: its listener and the scope sets it wrote); the log stays open.
 */
export async function runSchedule(
  log: LogHandle,
  options: ScheduleRunOptions,
  ctx: CliContext,
  out: Output,
): Promise<number> {
  const store = await engineStoreOf(log);
  try {
    return await runOn(log, store, options, ctx, out);
  } finally {
    await store.close?.();
  }
}

async function runOn(
  log: LogHandle,
  store: EngineStore,
  options: ScheduleRunOptions,
  ctx: CliContext,
  out: Output,
): Promise<number> {
  const described = describer(log, out.json);
  const renderer = createReplayRenderer(out, {
    now: ctx.now,
    live: ctx.stderr.isTTY === true,
    describe: described.describe,
  });
  const startedAt = ctx.now();
  if (!options.due && !options.watch && options.forMs === undefined) {
    const schedules = await schedulesOf(log, store, options.scope);
    renderer.horizon(scheduleHorizon(schedules, options.policy, startedAt));
  }
  // Keep-alive pools for the run (one per TLS setting), closed with it.
  const transport = new Transport({ proxy: proxySettings(ctx.env) });
  const live = ctx.stderr.isTTY === true;
  const alertRenderer = createAlertRenderer(out, { live });
  let alerts: RunningAlerts | undefined;
  const rendered = described.render(renderer.onEvent);
  try {
    // Registered before the first attempt: every death of this run is alerted.
    if (options.alerts) {
      const sinks = alertSinks(options.alerts, ctx, transport);
      alerts = startAlerts({
        log: await alertLogOf(log),
        sinks,
        now: ctx.now,
        sleep: timerSleep,
        onEvent: alertRenderer.onEvent,
      });
      await alerts.ready;
    }
    const result = await runScheduler(cliSchedulerDeps(store, ctx, transport), {
      concurrency: options.concurrency,
      leaseMarginMs: options.leaseMarginMs,
      watch: options.watch,
      policy: options.policy,
      scope: options.scope,
      dueBy: options.due ? startedAt : undefined,
      stopAt: options.forMs !== undefined ? startedAt + options.forMs : undefined,
      signal: ctx.signal,
      onEvent: (event) => {
        rendered.onEvent(event);
        if (event.type === "delivery-dead") alerts?.wake();
      },
    });
    await rendered.flushed();
    if (alerts && options.alerts) {
      // Interrupted: leave at once; what is not sent stays pending for the next run.
      const left =
        result.outcome === "interrupted"
          ? await alerts.stop()
          : await alerts.finish(options.alertGraceMs ?? defaultAlertGraceMs);
      alerts = undefined;
      renderer.close();
      alertRenderer.summary(left, alertFlagWords(options.alerts));
    }
    if (result.outcome === "interrupted") return ExitCode.interrupted;
    return result.dead > 0 ? ExitCode.failed : ExitCode.ok;
  } finally {
    // Only after a failure: what the run failed with is the error to report.
    await alerts?.stop().catch(() => undefined);
    await rendered.flushed().catch(() => undefined);
    renderer.close();
    await transport.close();
  }
}

async function schedulesOf(log: LogHandle, store: EngineStore, scope: Scope): Promise<PendingSchedule[]> {
  if (log.backend === "sqlite") return pendingSchedules(log.db, scope);
  return (store as PgEngineStore).pendingSchedules(scope);
}

type OnEvent = (event: SchedulerEvent) => void;

/**
 * The renderer reads deliveries back as it renders (--json, and the line naming what is due
 * next). SQLite answers at once; a PostgreSQL read is made before the event is handed on, the
 * events kept in order, and `flushed` resolves once all have been rendered.
 */
export function describer(log: LogHandle, json: boolean) {
  if (log.backend === "sqlite") {
    const { db } = log;
    return {
      describe: (id: string) => describeDeliveries(db, [id])[0],
      render: (onEvent: OnEvent) => ({ onEvent, flushed: () => Promise.resolve() }),
    };
  }
  const reads = deliveryReadsOf(log);
  const known = new Map<string, QueuedDelivery>();
  const needs = (event: SchedulerEvent): string | undefined => {
    if (event.type === "idle") return event.next ?? undefined;
    if (!json) return undefined;
    if (event.type === "attempt-finished" || event.type === "delivery-dead") return event.deliveryId;
    return undefined;
  };
  return {
    describe: (id: string) => known.get(id),
    render(onEvent: OnEvent) {
      let chain = Promise.resolve();
      let failure: { error: unknown } | undefined;
      return {
        onEvent(event: SchedulerEvent) {
          chain = chain.then(async () => {
            if (failure) return;
            try {
              const id = needs(event);
              known.clear();
              if (id !== undefined) {
                const [item] = await reads.describeDeliveries([id]).catch((error: unknown) => {
                  // The server went away after the commit (a watching engine waits it out):
                  // the event goes on without the delivery, and the ones after it too.
                  if (isTransientStoreFault(error)) return [];
                  throw error;
                });
                if (item) known.set(id, item);
              }
              onEvent(event);
            } catch (error) {
              failure = { error };
            }
          });
        },
        async flushed() {
          await chain;
          if (failure) throw failure.error;
        },
      };
    },
  };
}
