import { InvalidArgumentError, Option } from "commander";
import { formatDuration, maxDurationMs, maxTimerMs, parseDuration } from "../config/duration.js";

const durationExample = "expected a duration like 500ms, 5s, 10m, 2h or 7d";

/**
 * Option parsers for commander: they throw InvalidArgumentError so commander names the flag.
 * An age, a period or a retry delay: up to 36500d (100 years).
 */
export function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(durationExample);
  if (ms > maxDurationMs) throw new InvalidArgumentError(`${durationExample}, at most 36500d (100 years)`);
  return ms;
}

/** A duration of at least `minMs` (a retention that must not delete what was just stored). */
export function durationAtLeast(minMs: number) {
  return (value: string): number => {
    const ms = durationArg(value);
    if (ms < minMs) throw new InvalidArgumentError(`expected at least ${formatDuration(minMs)}`);
    return ms;
  };
}

/** A timeout or delay one timer waits out: up to 24d, the longest a Node.js timer can wait. */
export function timerArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(durationExample);
  if (ms > maxTimerMs)
    throw new InvalidArgumentError(`${durationExample}, at most 24d (a timer cannot wait longer)`);
  return ms;
}

export function integerArg(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

export function numberArg(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    }
    return n;
  };
}

/**
 * "10/s", "600/m", "5" (per second) into requests per second. The gap between two sends is one
 * timer, so the slowest rate is one per 24 days (0.00174/h).
 */
export function rateArg(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(value);
  const perUnit = match ? Number(match[1]) : Number.NaN;
  if (!match || !(perUnit > 0) || !Number.isFinite(perUnit))
    throw new InvalidArgumentError("expected a rate like 10/s, 600/m or 5");
  const seconds = { s: 1, m: 60, h: 3600 }[(match[2] ?? "s") as "s" | "m" | "h"];
  const perSecond = perUnit / seconds;
  if (1000 / perSecond > maxTimerMs)
    throw new InvalidArgumentError("expected a rate of at least one per 24 days; a timer cannot wait longer");
  return perSecond;
}

/** Repeatable flags (-H, --secret) collect into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Timestamp skew `verify` and `listen` accept either way by default (DESIGN: 5 minutes). */
export const defaultToleranceMs = 5 * 60_000;

/**
 * A duration flag whose help shows its default as people type it (`(default: 5m)`, never
 * `300000`), made from the same number the code gets when the flag is left out.
 */
export function durationOption(
  flags: string,
  description: string,
  defaultMs: number,
  parse: (value: string) => number = durationArg,
): Option {
  return new Option(flags, description).argParser(parse).default(defaultMs, formatDuration(defaultMs));
}
