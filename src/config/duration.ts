const day = 86_400_000;
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: day };

/**
 * The longest wait one timer serves: Node's setTimeout holds at most 2^31-1 ms (~24.8 days) and
 * fires after 1 ms for anything longer. 24 days is a bound a person can remember.
 */
export const maxTimerMs = 24 * day;

/**
 * The longest duration any flag takes: 100 years. Now plus or minus it is still a date, so an
 * age (`--since`), a period (`--grace`) or a retry delay (waited in steps) never becomes an
 * invalid time.
 */
export const maxDurationMs = 36_500 * day;

/**
 * Parse "250ms", "5s", "1.5m", "2h", "7d" or a bare number of seconds into milliseconds.
 * Returns undefined for anything else, so callers can say which flag was wrong.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? "s").toLowerCase();
  const factor = units[unit];
  if (factor === undefined || !Number.isFinite(value)) return undefined;
  return Math.round(value * factor);
}

/**
 * The one duration format of human output, latencies and waits alike: "6.1ms", "95ms", "1.2s",
 * "3.9m", "1h 40m", "3d 2h". Short, and in the units the flags take, so a value can be typed back.
 */
export function formatDuration(ms: number): string {
  if (ms < 9.95) return `${Math.max(0, ms).toFixed(1).replace(/\.0$/, "")}ms`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  if (Number(trim(ms / 1000)) < 60) return `${trim(ms / 1000)}s`;
  if (Number(trim(ms / 60_000)) < 60) return `${trim(ms / 60_000)}m`;
  // Whole minutes first, so 599h 59.7m reads 600h, never "599h 60m".
  const totalMinutes = Math.round(ms / 60_000);
  if (totalMinutes < 48 * 60) {
    const hours = Math.floor(totalMinutes / 60);
    const minutes = totalMinutes % 60;
    return minutes ? `${hours}h ${minutes}m` : `${hours}h`;
  }
  const totalHours = Math.round(ms / 3_600_000);
  const days = Math.floor(totalHours / 24);
  const hours = totalHours % 24;
  return hours ? `${days}d ${hours}h` : `${days}d`;
}

function trim(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, "");
}
