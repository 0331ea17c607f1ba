/** Latency percentiles of a run, in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The histogram key of one attempt: its status code, or its error class (`refused`, `timeout`). */
export function outcomeKey(attempt: { statusCode: number | null; errorClass: string | null }): string {
  return attempt.statusCode !== null ? String(attempt.statusCode) : (attempt.errorClass ?? "error");
}

/** Counts per key, status codes first (ascending), then error classes (alphabetical). */
export class Histogram {
  private readonly counts = new Map<string, number>();

  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  entries(): [string, number][] {
    return [...this.counts].sort(([a], [b]) => {
      const na = /^\d+$/.test(a);
      const nb = /^\d+$/.test(b);
      if (na !== nb) return na ? -1 : 1;
      // Not localeCompare: error classes are ASCII, and the collator costs milliseconds to load.
      return na ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0;
    });
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.entries());
  }
}

/** Relative width of one bucket: percentiles are within 1% of the true value. */
const growth = 1.02;
const smallestMs = 0.001;
const logGrowth = Math.log(growth);

/**
 * Durations in a fixed number of log-spaced buckets (about 1,100 from 1 µs to an hour): a run
 * of any length keeps the same few kilobytes, where a list of every duration grew by 8 bytes a
 * send. Count, min, max and mean are exact; percentiles are the bucket's upper bound, capped by max.
 */
export class LatencyHistogram {
  private readonly buckets = new Map<number, number>();
  private count = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  add(ms: number): void {
    const index = ms <= smallestMs ? 0 : Math.ceil(Math.log(ms / smallestMs) / logGrowth);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  summary(): LatencySummary | undefined {
    if (this.count === 0) return undefined;
    const order = [...this.buckets].sort(([a], [b]) => a - b);
    const at = (p: number): number => {
      const rank = Math.max(1, Math.ceil((p / 100) * this.count));
      let seen = 0;
      for (const [index, n] of order) {
        seen += n;
        if (seen >= rank) return Math.min(this.max, Math.max(this.min, smallestMs * growth ** index));
      }
      return this.max;
    };
    return {
      count: this.count,
      min: this.min,
      mean: this.sum / this.count,
      p50: at(50),
      p95: at(95),
      p99: at(99),
      max: this.max,
    };
  }
}
