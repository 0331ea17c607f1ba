import { formatDuration } from "../../config/duration.js";
import type { SchedulerCounts, SchedulerEvent } from "../../delivery/scheduler-events.js";
import type { Output } from "../output.js";
import { clockTime } from "./time.js";

export interface ReplayRenderer {
  onEvent(event: SchedulerEvent): void;
  /** Stop the live line (and its timer); call once the run is over. */
  close(): void;
}

export interface ReplayRenderOptions {
  now: () => number;
  /** Redraw a status line on stderr (stderr is a terminal, not --json, not --quiet). */
  live: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Scheduler events as JSON: times as ISO strings; the periodic counts are left out. */
export function replayEventJson(event: SchedulerEvent): Record<string, unknown> | undefined {
  if (event.type === "counts") return undefined;
  const json: Record<string, unknown> = { ...event, at: iso(event.at) };
  if ("until" in event) json.until = iso(event.until);
  if ("nextAttemptAt" in event) json.nextAttemptAt = iso(event.nextAttemptAt);
  return json;
}

/** One line for a finished attempt: `dlv_… order.created #2 → 500 in 12ms, retry in 2.5s`. */
export function attemptLine(
  event: Extract<SchedulerEvent, { type: "attempt-finished" }>,
  out: Output,
  now: number,
): string {
  const { style } = out;
  const what = event.statusCode !== null ? String(event.statusCode) : (event.errorClass ?? "error");
  const outcome =
    event.result === "succeeded"
      ? style.ok("succeeded")
      : event.result === "dead"
        ? style.fail(event.statusCode === 410 ? "dead (410 Gone)" : "dead (retries used up)")
        : event.result === "lost"
          ? style.warn("lease lost, result left to the newer holder")
          : `retry in ${formatDuration(Math.max(0, (event.nextAttemptAt ?? now) - now))}`;
  const status = event.result === "succeeded" ? style.ok(what) : style.fail(what);
  const error = event.statusCode === null && event.error ? style.dim(` (${event.error})`) : "";
  const manual = event.trigger === "manual" ? style.dim(" manual") : "";
  return `${event.deliveryId} ${event.eventType} #${event.attempt}${manual} → ${status}${error} in ${formatDuration(event.durationMs)}, ${outcome}`;
}

/** The live status: counts and the next scheduled attempt with a countdown. */
export function statusLine(counts: SchedulerCounts, out: Output, now: number): string {
  const { style } = out;
  const parts = [
    `pending ${counts.pending}`,
    `in flight ${counts.inFlight}`,
    style.ok(`succeeded ${counts.succeeded}`),
    counts.dead > 0 ? style.fail(`dead ${counts.dead}`) : `dead ${counts.dead}`,
  ];
  if (counts.inFlight === 0 && counts.nextAttemptAt !== null) {
    const wait = formatDuration(Math.max(0, counts.nextAttemptAt - now));
    parts.push(`next attempt in ${wait} ${style.dim(`(${clockTime(counts.nextAttemptAt)})`)}`);
  }
  return parts.join(style.dim(" · "));
}

/**
 * Render a replay run: one JSON object per event with --json; otherwise one line per attempt on
 * stdout, and on a terminal a status line on stderr that is redrawn every second.
 */
export function createReplayRenderer(out: Output, options: ReplayRenderOptions): ReplayRenderer {
  let counts: SchedulerCounts = {
    pending: 0,
    inFlight: 0,
    succeeded: 0,
    dead: 0,
    attempts: 0,
    nextAttemptAt: null,
  };
  let drawn = false;
  const rateNoted = new Set<string>();
  const live = options.live && !out.json && !out.quiet;
  const clear = () => {
    if (drawn) out.stderr.write("\r\u001b[2K");
    drawn = false;
  };
  const draw = () => {
    if (!live) return;
    const width = Math.max(20, (out.stderr.columns ?? 100) - 1);
    out.stderr.write(`\r\u001b[2K${statusLine(counts, out, options.now()).slice(0, width + 40)}`);
    drawn = true;
  };
  const timer = live ? setInterval(draw, 1000) : undefined;
  timer?.unref();
  const above = (write: () => void) => {
    clear();
    write();
    draw();
  };

  return {
    onEvent(event) {
      if (out.json) {
        const json = replayEventJson(event);
        if (json) out.writeJson(json);
        return;
      }
      switch (event.type) {
        case "attempt-started":
          counts = { ...counts, inFlight: counts.inFlight + 1 };
          draw();
          break;
        case "attempt-finished":
          counts = {
            ...counts,
            inFlight: Math.max(0, counts.inFlight - 1),
            attempts: counts.attempts + 1,
            succeeded: counts.succeeded + (event.result === "succeeded" ? 1 : 0),
            dead: counts.dead + (event.result === "dead" ? 1 : 0),
          };
          above(() => out.line(attemptLine(event, out, event.at)));
          break;
        case "counts":
          counts = { ...event };
          draw();
          break;
        case "idle":
          counts = { ...counts, pending: event.pending, nextAttemptAt: event.until, inFlight: 0 };
          if (!live && event.until !== null) {
            out.note(
              `waiting ${formatDuration(Math.max(0, event.until - event.at))} for the next attempt (${event.pending} pending)`,
            );
          } else if (!live && event.pending === 0) {
            out.note("watching for new deliveries");
          }
          draw();
          break;
        case "rate-limited":
          // Once per endpoint: a rate-limited run would otherwise say so before every attempt.
          if (!live && !rateNoted.has(event.endpointId)) {
            rateNoted.add(event.endpointId);
            out.note(`${event.endpoint} is rate limited: attempts wait for a token (no retries are used)`);
          }
          break;
        case "reclaimed":
          above(() =>
            out.note(
              `reclaimed ${event.count} ${event.count === 1 ? "delivery" : "deliveries"} whose lease had expired`,
            ),
          );
          break;
        case "started":
          counts = { ...counts, pending: event.pending };
          if (event.reclaimed > 0) {
            out.note(
              `reclaimed ${event.reclaimed} ${event.reclaimed === 1 ? "delivery" : "deliveries"} left in flight by a stopped run`,
            );
          }
          draw();
          break;
        case "stopped": {
          clear();
          const summary = `${event.succeeded} succeeded, ${event.dead} dead, ${event.pending} pending (${event.attempts} ${event.attempts === 1 ? "attempt" : "attempts"})`;
          out.note(
            event.reason === "interrupted"
              ? `interrupted: ${summary}; run hookctl replay to continue`
              : summary,
          );
          break;
        }
        default:
          break;
      }
    },
    close() {
      if (timer) clearInterval(timer);
      clear();
    },
  };
}
