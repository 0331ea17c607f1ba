import { formatDuration } from "../../config/duration.js";
import type { SendResult } from "../../delivery/send.js";
import type { Output, Styles } from "../output.js";
import { count } from "./count.js";
import { when } from "./time.js";

/** The end-of-run summary for runs of more than one send: totals, throughput, latency, statuses. */
export function summaryLines(
  result: SendResult,
  style: Styles,
  now: number,
  /** `send --wait`: the retries run next, in this process: no advice to run replay. */
  options: { waiting?: boolean } = {},
): string[] {
  const { tally } = result;
  const nextRetry = result.nextRetryAt;
  const seconds = result.elapsedMs / 1000;
  const rate = seconds > 0 ? ` (${count(Math.round(result.attempts / seconds))}/s)` : "";
  const parts = [style.ok(`${count(tally.succeeded)} succeeded`)];
  if (tally.pending) parts.push(style.warn(`${count(tally.pending)} pending`));
  if (tally.dead) parts.push(style.fail(`${count(tally.dead)} dead`));
  if (tally.elsewhere) parts.push(`${count(tally.elsewhere)} held by another hookctl process`);
  const lines = [
    `${count(result.attempts)} sends in ${formatDuration(result.elapsedMs)}${rate}: ${parts.join(", ")}`,
  ];
  const l = result.latency;
  if (l) {
    lines.push(
      `latency p50 ${formatDuration(l.p50)} · p95 ${formatDuration(l.p95)} · p99 ${formatDuration(l.p99)} · max ${formatDuration(l.max)}`,
    );
  }
  const statuses = Object.entries(result.histogram).map(([key, n]) => {
    const ok = /^2\d\d$/.test(key);
    return `${(ok ? style.ok : style.fail)(key)} ×${count(n)}`;
  });
  if (statuses.length > 0) lines.push(`status ${statuses.join(" · ")}`);
  if (result.interrupted && (result.notStarted > 0 || result.notPersisted > 0)) {
    const parts = [];
    if (result.notStarted > 0)
      parts.push(`${count(result.notStarted)} sends not started (their deliveries stay pending)`);
    if (result.notPersisted > 0) parts.push(`${count(result.notPersisted)} events never persisted`);
    lines.push(style.warn(`interrupted: ${parts.join("; ")}`));
  }
  if (nextRetry !== null && options.waiting && !result.interrupted) {
    lines.push(`next retry at ${when(nextRetry, now)}; waiting for the pending ones (--wait)`);
  } else if (nextRetry !== null) {
    lines.push(
      `next retry at ${when(nextRetry, now)}${style.dim(" — run hookctl replay to deliver the pending ones")}`,
    );
  } else if (result.interrupted && result.notStarted > 0) {
    lines.push(style.dim("run hookctl replay to deliver them"));
  }
  return lines;
}

/**
 * A one-line progress bar on stderr for long runs on a terminal, redrawn at most every 100 ms.
 * Lines written to stdout go through `line` so the bar is cleared first and redrawn after.
 */
export class ProgressBar {
  private drawn = false;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private done = 0;
  private failed = 0;
  private readonly startedAt: number;

  constructor(
    private readonly out: Output,
    private readonly total: number,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  /** Count one finished send and maybe redraw. */
  tick(ok: boolean): void {
    this.done++;
    if (!ok) this.failed++;
    const t = this.now();
    if (t - this.lastDraw >= 100 || this.done === this.total) {
      this.lastDraw = t;
      this.draw(t);
    }
  }

  /** Print a stdout line without tearing the bar. */
  line(text: string): void {
    this.clear();
    this.out.line(text);
    if (this.done > 0) this.draw(this.now());
  }

  clear(): void {
    if (this.drawn) this.out.stderr.write("\r\u001b[2K");
    this.drawn = false;
  }

  private draw(t: number): void {
    const width = Math.max(10, Math.min(30, (this.out.stderr.columns ?? 80) - 50));
    const filled = Math.round((this.done / this.total) * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    const seconds = (t - this.startedAt) / 1000;
    const rate = seconds > 0 ? `${count(Math.round(this.done / seconds))}/s` : "";
    const pct = Math.floor((this.done / this.total) * 100);
    const failed = this.failed ? `  ${this.out.style.fail(`✗ ${count(this.failed)}`)}` : "";
    this.out.stderr.write(
      `\r\u001b[2K${bar} ${count(this.done)}/${count(this.total)} ${pct}%  ${rate}${failed}`,
    );
    this.drawn = true;
  }
}
