import type { Dispatcher } from "undici";
import { createAttempt } from "../../delivery/attempt.js";
import type { RetryPolicy } from "../../delivery/policy.js";
import { TokenBucket, timerSleep } from "../../delivery/rate-limit.js";
import { runScheduler, type SchedulerDeps } from "../../delivery/scheduler.js";
import { loadAgent } from "../../delivery/undici-agent.js";
import { ExitCode } from "../../errors.js";
import type { Db } from "../../store/open.js";
import { describeDeliveries } from "../../store/queue.js";
import type { CliContext } from "../context.js";
import type { Output } from "../output.js";
import { createReplayRenderer } from "../render/replay-progress.js";
import { packageVersion } from "../version.js";

export interface ScheduleRunOptions {
  concurrency: number;
  watch: boolean;
  policy: Partial<RetryPolicy>;
  /** Only these deliveries (a requeued set). */
  scope?: readonly string[];
}

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
  dispatcher?: Dispatcher,
): SchedulerDeps {
  const hex = pooledHex(ctx.randomBytes);
  return {
    db,
    attempt: createAttempt({ now: ctx.now, dispatcher }),
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
 * interrupted, 1 when some delivery became dead during the run, else 0.
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
  // One keep-alive pool for the run, closed with it.
  const agent = new (loadAgent())();
  try {
    const result = await runScheduler(cliSchedulerDeps(db, ctx, agent), {
      concurrency: options.concurrency,
      watch: options.watch,
      policy: options.policy,
      scope: options.scope,
      signal: ctx.signal,
      onEvent: (event) => renderer.onEvent(event),
    });
    if (result.outcome === "interrupted") return ExitCode.interrupted;
    return result.dead > 0 ? ExitCode.failed : ExitCode.ok;
  } finally {
    renderer.close();
    await agent.close();
  }
}
