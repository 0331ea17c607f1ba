import { formatDuration } from "../../config/duration.js";
import { attemptJson, type DeliveryItem, deliveryJson } from "../../contract/delivery.js";
import { maskUrl } from "../../contract/mask.js";
import type { ReplayEventJson } from "../../contract/schema/replay.js";
import { iso, isoOrNull } from "../../contract/time.js";
import type { SchedulerCounts, SchedulerEvent } from "../../delivery/engine/events.js";
import { firstBodyLine } from "../../delivery/send-outcome.js";
import { escapeControl } from "../../format/escape.js";
import { oneLine } from "../one-line.js";
import type { Output } from "../output.js";
import { nextAttemptWords } from "./delivery-view.js";
import { deadReasonWords, refusalText } from "./refusal.js";
import { clockTime, when } from "./time.js";

export interface ReplayRenderer {
  onEvent(event: SchedulerEvent): void;
  /** Say up front when the schedule's last attempt can be at the latest (null: nothing pending). */
  horizon(at: number | null): void;
  /** Stop the live line (and its timer); call once the run is over. */
  close(): void;
}

export interface ReplayRenderOptions {
  now: () => number;
  /** Reads a delivery back for --json. */
  describe: DescribeDelivery;
  /** Redraw a status line on stderr (stderr is a terminal, not --json, not --quiet). */
  live: boolean;
  /**
   * What to do with what an interrupted run left (default: run hookctl replay to continue). The
   * demo's receivers end with it, so its advice differs.
   */
  toContinue?: string;
}

/** What the JSON stream needs from the log: a delivery as it stands now. */
export type DescribeDelivery = (id: string) => DeliveryItem | undefined;

/**
 * Scheduler events as the contract's replay events: each finished attempt with the attempt and
 * the delivery as the log now has it (records are reported only once committed); times as ISO.
 * The periodic counts and the per-attempt start and end notices are left out.
 */
export function replayEventJson(
  event: SchedulerEvent,
  describe: DescribeDelivery,
): ReplayEventJson | undefined {
  const at = iso(event.at);
  switch (event.type) {
    case "started":
      return { type: "started", at, pending: event.pending, reclaimed: event.reclaimed, watch: event.watch };
    case "reclaimed":
      return { type: "reclaimed", at, count: event.count };
    case "attempt-finished": {
      const item = describe(event.deliveryId);
      // Purged by another process since: nothing left to describe.
      if (!item) return undefined;
      const delivery = deliveryJson(item);
      const attempt = attemptJson(event.record, item.secrets);
      return { type: "attempt", at, result: event.result, attempt, delivery };
    }
    case "delivery-dead": {
      if (event.reason !== "damaged") return undefined;
      const item = describe(event.deliveryId);
      return item ? { type: "shelved", at, delivery: deliveryJson(item) } : undefined;
    }
    case "rate-limited":
      return { type: "rate-limited", at, endpoint: event.endpoint, until: iso(event.until) };
    case "idle":
      return { type: "idle", at, until: isoOrNull(event.until), pending: event.pending };
    case "store-unavailable":
      return { type: "store-unavailable", at, error: event.error, retryAt: iso(event.retryAt) };
    case "stopped": {
      const { reason, pending, inFlight, succeeded, dead, attempts, nextAttemptAt } = event;
      const counts = { pending, inFlight, succeeded, dead, attempts };
      return { type: "stopped", at, reason, ...counts, nextAttemptAt: isoOrNull(nextAttemptAt) };
    }
    default:
      return undefined;
  }
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
        ? style.fail(`dead (${deadReasonWords(event.deadReason, event.statusCode)})`)
        : event.result === "lost"
          ? style.warn("lease lost, result left to the newer holder")
          : `retry in ${formatDuration(Math.max(0, (event.nextAttemptAt ?? now) - now))}`;
  const status = event.result === "succeeded" ? style.ok(what) : style.fail(what);
  const error = event.statusCode === null && event.error ? style.dim(` (${event.error})`) : "";
  const manual = event.trigger === "manual" ? style.dim(" manual") : "";
  const why = refusalText(
    { statusCode: event.statusCode, bodyLine: firstBodyLine(event.record.responseBody) },
    style,
  );
  return `${event.deliveryId} ${escapeControl(event.eventType)} #${event.attempt}${manual} → ${status}${error} in ${formatDuration(event.durationMs)}, ${outcome}${why ? ` ·${why}` : ""}`;
}

/** `the schedule can run until 14:32 (up to 1h 40m) if every retry fails; Ctrl-C loses nothing …` */
export function horizonNote(at: number, now: number): string {
  return `the schedule can run until ${when(at, now)} (up to ${formatDuration(at - now)}) if every retry fails; Ctrl-C stops it and loses nothing (run hookctl replay again to go on; --due or --for <duration> bound a run)`;
}

/** `waiting 4.9s for dlv_… (order.created → orders, retry 3) and 2 more pending`. */
export function waitLine(
  event: Extract<SchedulerEvent, { type: "idle" }>,
  item: DeliveryItem | undefined,
): string {
  const wait = formatDuration(Math.max(0, (event.until ?? event.at) - event.at));
  const more = event.pending > 1 ? ` and ${event.pending - 1} more pending` : "";
  if (!item || event.next === null) return `waiting ${wait} for the next attempt (${event.pending} pending)`;
  const d = item.delivery;
  const which = nextAttemptWords(d);
  const target = escapeControl(item.endpointName ?? maskUrl(d.url, item.secrets));
  return `waiting ${wait} for ${d.id} (${escapeControl(item.eventType)} → ${target}, ${which})${more}`;
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
  // Only a --watch run waits for new work; a plain run that finds nothing simply ends.
  let watching = false;
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
        const json = replayEventJson(event, options.describe);
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
            out.note(waitLine(event, event.next === null ? undefined : options.describe(event.next)));
          } else if (!live && event.pending === 0) {
            out.note(
              watching
                ? "watching for new deliveries"
                : "waiting for deliveries another hookctl process has in flight",
            );
          }
          draw();
          break;
        case "delivery-dead":
          if (event.reason === "damaged") {
            counts = { ...counts, dead: counts.dead + 1 };
            above(() =>
              out.line(
                `${event.deliveryId} ${out.style.fail("dead: its stored row is damaged")} (never sent; hookctl log show ${event.deliveryId} says what is wrong)`,
              ),
            );
          }
          break;
        case "rate-limited":
          // Once per endpoint: a rate-limited run would otherwise say so before every attempt.
          if (!live && !rateNoted.has(event.endpointId)) {
            rateNoted.add(event.endpointId);
            out.note(`${event.endpoint} is rate limited: attempts wait for a token (no retries are used)`);
          }
          break;
        case "store-unavailable":
          above(() =>
            out.note(
              `${out.style.warn("the delivery log is unavailable:")} ${oneLine(event.error)}; trying again in ${formatDuration(Math.max(0, event.retryAt - event.at))} (nothing stored is lost)`,
            ),
          );
          break;
        case "reclaimed":
          above(() =>
            out.note(
              `reclaimed ${event.count} ${event.count === 1 ? "delivery" : "deliveries"} whose lease had expired`,
            ),
          );
          break;
        case "started":
          watching = event.watch;
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
          const toContinue = options.toContinue ?? "run hookctl replay to continue";
          out.note(
            event.reason === "interrupted"
              ? `interrupted: ${summary}; ${toContinue}`
              : event.reason === "time-limit" && event.pending > 0
                ? `time limit reached: ${summary}; the rest stays scheduled, ${toContinue}`
                : summary,
          );
          break;
        }
        default:
          break;
      }
    },
    horizon(at) {
      const now = options.now();
      if (out.json || at === null || at - now < 1000) return;
      above(() => out.note(horizonNote(at, now)));
    },
    close() {
      if (timer) clearInterval(timer);
      clear();
    },
  };
}
