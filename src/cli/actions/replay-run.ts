import { type RunningAlerts, startAlerts } from "../../delivery/alerts/runner.js";
import { createAttempt } from "../../delivery/attempt.js";
import { scheduleHorizon } from "../../delivery/horizon.js";
import type { RetryPolicy } from "../../delivery/policy.js";
import { TokenBucket, timerSleep } from "../../delivery/rate-limit.js";
import { runScheduler, type SchedulerDeps } from "../../delivery/scheduler.js";
import { proxySettings, Transport } from "../../delivery/transport.js";
import { ExitCode } from "../../errors.js";
import type { Scope } from "../../store/engine-port.js";
import type { Db } from "../../store/open.js";
import { pendingSchedules } from "../../store/pending-schedules.js";
import { describeDeliveries } from "../../store/queue.js";
import { SqliteEngineStore } from "../../store/sqlite-engine.js";
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

/** The scheduler over real time, real HTTP and the context's clock and randomness. */
export function cliSchedulerDeps(
  db: Db,
  ctx: Pick<CliContext, "now" | "randomBytes">,
  transport?: Transport,
): SchedulerDeps {
  const hex = pooledHex(ctx.randomBytes);
  return {
    store: new SqliteEngineStore(db),
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
 * its time included: what is left stays scheduled).
 */
export async function runSchedule(
  db: Db,
  options: ScheduleRunOptions,
  ctx: CliContext,
  out: Output,
): Promise<number> {
  const renderer = createReplayRenderer(out, {
    now: ctx.now,
    live: ctx.stderr.isTTY === true,
    describe: (id) => describeDeliveries(db, [id])[0],
  });
  const startedAt = ctx.now();
  if (!options.due && !options.watch && options.forMs === undefined) {
    renderer.horizon(scheduleHorizon(pendingSchedules(db, options.scope), options.policy, startedAt));
  }
  // Keep-alive pools for the run (one per TLS setting), closed with it.
  const transport = new Transport({ proxy: proxySettings(ctx.env) });
  const live = ctx.stderr.isTTY === true;
  const alertRenderer = createAlertRenderer(out, { live });
  let alerts: RunningAlerts | undefined;
  try {
    // Registered before the first attempt: every death of this run is alerted.
    if (options.alerts) {
      const sinks = alertSinks(options.alerts, ctx, transport);
      alerts = startAlerts({ db, sinks, now: ctx.now, sleep: timerSleep, onEvent: alertRenderer.onEvent });
    }
    const result = await runScheduler(cliSchedulerDeps(db, ctx, transport), {
      concurrency: options.concurrency,
      leaseMarginMs: options.leaseMarginMs,
      watch: options.watch,
      policy: options.policy,
      scope: options.scope,
      dueBy: options.due ? startedAt : undefined,
      stopAt: options.forMs !== undefined ? startedAt + options.forMs : undefined,
      signal: ctx.signal,
      onEvent: (event) => {
        renderer.onEvent(event);
        if (event.type === "delivery-dead") alerts?.wake();
      },
    });
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
    renderer.close();
    await transport.close();
  }
}
