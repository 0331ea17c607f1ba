import { performance } from "node:perf_hooks";
import type { Command } from "commander";
import type { PruneResultJson } from "../../contract/schema/prune.js";
import { iso } from "../../contract/time.js";
import { ExitCode } from "../../errors.js";
import type { LogHandle } from "../../store/log-handle.js";
import { pruneStoreOf } from "../../store/ports/prune.js";
import type { PruneCounts } from "../../store/prune.js";
import { confirmOrRefuse } from "../confirm.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { count } from "../render/count.js";
import { withLog } from "../store.js";

interface PruneFlags extends GlobalOptions {
  olderThan: number;
  received?: boolean;
  vacuum?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

/** The longest a pause between chunks need be: SQLite's busy handler sleeps at most 100 ms. */
const maxPauseMs = 100;

/**
 * `hookctl log prune --older-than 30d`: delete finished deliveries (with their attempts, alerts
 * and events) from before the cutoff. Asks first on a terminal; elsewhere refuses without --yes
 * (exit 2) even when nothing matches yet, so a scheduled job fails on its first run rather than
 * on the first day there is something to delete.
 */
export async function runLogPrune(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<PruneFlags>();
  const out = createOutput(ctx, flags);
  return withLog(flags, ctx, { mustExist: true }, async (log) => {
    const store = pruneStoreOf(log);
    const cutoff = ctx.now() - flags.olderThan;
    const scope = { cutoff, received: flags.received === true };
    const found = await store.countPrunable(scope);
    const total = found.deliveries + found.events + found.alerts + (found.received ?? 0);
    const report = (counts: PruneCounts, dryRun: boolean, freedBytes: number | null) => {
      const result: PruneResultJson = { dryRun, cutoff: iso(cutoff), ...counts, freedBytes };
      if (out.json) out.writeJson(result);
      else out.note(summary(result, dryRun ? "dry run: would delete" : "pruned"));
    };
    if (flags.dryRun) {
      report(found, true, null);
      return ExitCode.ok;
    }
    if (!flags.yes && (total > 0 || ctx.stdin.isTTY !== true)) {
      const question = `Delete ${listed(found, cutoff)}? This cannot be undone.`;
      if (!(await confirmOrRefuse(ctx, question, "refusing to prune the log"))) {
        out.note("nothing pruned");
        return ExitCode.ok;
      }
    }
    // The signal is watched only now: Ctrl-C at the question above ends the process at once.
    const { signal } = ctx;
    // Run with nothing to count too: on PostgreSQL it also drops scope sets dead processes left.
    const removed = await store.prune({ ...scope, between: pauseFor(log), signal, now: ctx.now() });
    if (signal.aborted) {
      // Every chunk is its own transaction: what went is gone for good, the rest waits for a rerun.
      report(removed, false, null);
      out.note("interrupted; run the same command again to prune the rest");
      return ExitCode.interrupted;
    }
    report(removed, false, flags.vacuum ? await store.vacuum() : null);
    return ExitCode.ok;
  });
}

/**
 * Between chunks, stand aside as long as the chunk held the write lock (up to the busy handler's
 * longest sleep): a replay or serve waiting on the lock wakes into a free log, not another chunk.
 * PostgreSQL locks rows, not the log, and its writers never wait on a chunk: no pause there.
 */
function pauseFor(log: LogHandle): (() => Promise<void>) | undefined {
  if (log.backend === "postgres") return undefined;
  let since = performance.now();
  return async () => {
    const held = Math.min(maxPauseMs, performance.now() - since);
    await new Promise((resolve) => setTimeout(resolve, held));
    since = performance.now();
  };
}

function summary(result: PruneResultJson, verb: string): string {
  const kept = result.received === null ? "; captured requests kept (add --received)" : "";
  const freed = result.freedBytes !== null ? `; vacuum gave back ${count(result.freedBytes)} bytes` : "";
  const unchanged = result.dryRun ? "; nothing changed" : "";
  return `${verb} ${listed(result, Date.parse(result.cutoff))}${kept}${freed}${unchanged}`;
}

function listed(counts: PruneCounts, cutoff: number): string {
  const parts = [
    `${plural(counts.deliveries, "finished delivery", "finished deliveries")} (${plural(counts.attempts, "attempt", "attempts")})`,
    plural(counts.events, "event", "events"),
    plural(counts.alerts, "sent alert", "sent alerts"),
  ];
  if (counts.received !== null) parts.push(plural(counts.received, "captured request", "captured requests"));
  return `${parts.join(", ")} from before ${iso(cutoff)}`;
}

function plural(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
