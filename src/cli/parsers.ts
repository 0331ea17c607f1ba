import { InvalidArgumentError } from "commander";
import { parseDuration } from "../config/duration.js";

/** Option parsers for commander: they throw InvalidArgumentError so commander names the flag. */
export function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError("expected a duration like 500ms, 5s, 10m, 2h or 7d");
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

/** "10/s", "600/m", "5" (per second) into requests per second. */
export function rateArg(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(value);
  const perUnit = match ? Number(match[1]) : Number.NaN;
  if (!match || !(perUnit > 0)) throw new InvalidArgumentError("expected a rate like 10/s, 600/m or 5");
  const seconds = { s: 1, m: 60, h: 3600 }[(match[2] ?? "s") as "s" | "m" | "h"];
  return perUnit / seconds;
}

/** Repeatable flags (-H, --secret) collect into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
