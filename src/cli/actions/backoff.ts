import type { Command } from "commander";
import { formatDuration } from "../../config/duration.js";
import {
  defaultPolicy,
  effectiveFactor,
  mergePolicy,
  policyProblem,
  schedule,
} from "../../delivery/policy.js";
import { ExitCode, UsageError } from "../../errors.js";
import { table } from "../../format/table.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { type PolicyFlagValues, policyOverride } from "../policy-flags.js";

/** `hookctl backoff`: the schedule a policy gives, as a table or JSON. Always exit 0 (2 for bad flags). */
const backoffColumns = [
  { header: "retry", align: "right" },
  { header: "delay" },
  { header: "jitter range" },
  { header: "cumulative" },
] as const;

export function runBackoff(command: Command, ctx: CliContext): number {
  const flags = command.optsWithGlobals<PolicyFlagValues & GlobalOptions>();
  const out = createOutput(ctx, flags);
  const policy = mergePolicy(defaultPolicy, policyOverride(flags));
  const problem = policyProblem(policy);
  if (problem) throw new UsageError(problem, "see hookctl backoff --help");
  const rows = schedule(policy);
  const totalMs = rows.at(-1)?.cumulativeMs ?? 0;
  const factor = effectiveFactor(policy);
  if (out.json) {
    out.writeJson({
      policy: { ...policy, factor },
      retries: rows.map((row) => ({
        retry: row.retry,
        delayMs: Math.round(row.baseMs),
        minMs: Math.round(row.minMs),
        maxMs: Math.round(row.maxMs),
        cumulativeMs: Math.round(row.cumulativeMs),
      })),
      totalMs: Math.round(totalMs),
    });
    return ExitCode.ok;
  }
  const { style } = out;
  out.line(
    style.dim(
      `first attempt immediately; factor ${factor.toFixed(3)}, jitter ±${Math.round(policy.jitter * 100)}%, cap ${formatDuration(policy.maxDelayMs)}`,
    ),
  );
  const cells = rows.map((row) => [
    String(row.retry),
    formatDuration(row.baseMs),
    `${formatDuration(row.minMs)} – ${formatDuration(row.maxMs)}`,
    formatDuration(row.cumulativeMs),
  ]);
  for (const line of table(backoffColumns, cells, { header: style.bold })) out.line(line);
  out.line(
    rows.length === 0
      ? "no retries: a failed first attempt is dead at once"
      : `dead after ${rows.length} ${rows.length === 1 ? "retry" : "retries"}, about ${formatDuration(totalMs)} after the first attempt`,
  );
  return ExitCode.ok;
}
