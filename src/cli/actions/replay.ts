import type { Command } from "commander";
import { defaultPolicy, mergePolicy, policyProblem, type RetryPolicy } from "../../delivery/policy.js";
import { ExitCode, UsageError } from "../../errors.js";
import type { Scope } from "../../store/engine-port.js";
import { newId } from "../../store/ids.js";
import type { LogHandle } from "../../store/log-handle.js";
import { endpointStoreOf } from "../../store/ports/endpoints.js";
import { type QueueStore, queueStoreOf } from "../../store/ports/queue.js";
import type { LogIdList, RequeueOptions, StatusCounts } from "../../store/queue.js";
import { type DeliveryStatus, deliveryStatuses, type TlsSetting } from "../../store/types.js";
import { type AlertFlagValues, alertSpecFromFlags } from "../alert-flags.js";
import type { CliContext } from "../context.js";
import { drained } from "../drain.js";
import { resolveLogIds } from "../ids.js";
import { createOutput, type GlobalOptions, type Output } from "../output.js";
import { type PolicyFlagValues, policyOverride } from "../policy-flags.js";
import {
  dryRunShown,
  renderRequeuedChunk,
  renderRequeueSummary,
  renderWouldRequeue,
  renderWouldRequeueJson,
} from "../render/requeue.js";
import { openLogFor } from "../store.js";
import { type TlsFlags, tlsFromFlags } from "../tls-flags.js";
import { parseHttpUrl } from "../urls.js";
import { runSchedule } from "./replay-run.js";

interface ReplayFlags extends GlobalOptions, PolicyFlagValues, TlsFlags, AlertFlagValues {
  status?: "dead" | "succeeded" | "pending";
  since?: number;
  event?: string;
  endpoint?: string;
  to?: string;
  newId?: boolean;
  dryRun?: boolean;
  watch?: boolean;
  due?: boolean;
  for?: number;
  concurrency: number;
  leaseMargin?: number;
}

/** Requeue-able states when no --status is given: anything a scheduler does not hold right now. */
const requeueable: DeliveryStatus[] = ["pending", "succeeded", "dead"];

/** A redirect target must be an absolute http(s) URL. */
export function parseTargetUrl(value: string | undefined): string | undefined {
  return value === undefined ? undefined : parseHttpUrl(value, "--to");
}

/** The policy flags as an override, checked against the defaults so nonsense stops here (exit 2). */
export function checkedPolicyOverride(flags: PolicyFlagValues): Partial<RetryPolicy> {
  const override = policyOverride(flags);
  const problem = policyProblem(mergePolicy(defaultPolicy, override));
  if (problem) throw new UsageError(problem, "see hookctl backoff --help to try a policy");
  return override;
}

/**
 * What `dlq requeue` and `replay <ids|selectors>` do with the deliveries they chose: list them
 * (--dry-run), say there are none (`nothing`), or requeue and report them a chunk at a time.
 * Returns the ids of the deliveries that will run when a requeue happened (even if all were
 * refused), undefined otherwise.
 */
export async function requeueChosen(
  out: Output,
  queue: QueueStore,
  chosen: LogIdList,
  options: {
    to: string | undefined;
    dryRun?: boolean;
    newId?: boolean;
    nothing: string;
    ctx: CliContext;
    tls?: TlsSetting;
  },
): Promise<{ scope: Scope; requeued: number } | undefined> {
  const { ctx } = options;
  if (options.dryRun) {
    if (out.json) {
      await queue.describeInChunks(chosen, (items) => {
        renderWouldRequeueJson(out, items, options.to);
        return drained(ctx.stdout);
      });
    } else {
      const shown = await queue.describeDeliveries(await chosen.slice(0, dryRunShown));
      const rest = await countRest(queue, chosen);
      renderWouldRequeue(out, shown, rest, options.to);
    }
    return undefined;
  }
  if (chosen.length === 0) {
    out.note(options.nothing);
    return undefined;
  }
  const requeueOptions: RequeueOptions = {
    now: ctx.now(),
    to: options.to,
    tls: options.tls,
    newId: options.newId ? () => newId("dlv", ctx.now(), ctx.randomBytes) : undefined,
  };
  // The requeued set stays in the log, not in memory: a million ids stay there.
  const set = queue.newScopeSet();
  const summary = await queue.requeueInChunks(
    chosen,
    requeueOptions,
    (results) => {
      renderRequeuedChunk(out, results);
      return drained(out.json ? ctx.stdout : ctx.stderr);
    },
    set,
  );
  renderRequeueSummary(out, summary);
  return { scope: set, requeued: summary.requeued };
}

function noEndpoint(name: string): UsageError {
  return new UsageError(`no endpoint named ${JSON.stringify(name)}`, "see hookctl endpoint list");
}

/** `hookctl replay`: requeue what was chosen (if anything), then run the schedule. */
export async function runReplay(ids: string[], command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<ReplayFlags>();
  const out = createOutput(ctx, flags);
  const policy = checkedPolicyOverride(flags);
  const to = parseTargetUrl(flags.to);
  const selectors = [flags.status, flags.since, flags.event, flags.endpoint].some((v) => v !== undefined);
  const choosing = ids.length > 0 || selectors;
  if (ids.length > 0 && selectors) {
    throw new UsageError("give delivery ids or selectors (--status, --since, --event, --endpoint), not both");
  }
  const tlsGiven = flags.insecure === true || flags.ca !== undefined;
  if (!choosing && (to !== undefined || flags.newId || flags.dryRun || tlsGiven)) {
    throw new UsageError(
      "--to, --new-id, --dry-run, --insecure and --ca apply to requeued deliveries",
      "name delivery ids or use --status, --since, --event or --endpoint",
    );
  }
  // Stored with the requeued deliveries: every later replay connects the same way.
  const tls = await tlsFromFlags(flags, ctx, to, (line) => out.note(line));
  if (flags.due && flags.watch) {
    throw new UsageError(
      "--due and --watch do not go together",
      "--due exits once what is due now is attempted",
    );
  }
  const alerts = await alertSpecFromFlags(flags, ctx);
  // Requeueing or running a schedule needs the log that holds it; only --watch may start on an
  // empty machine (a scheduler waiting for the first send).
  const log = await openLogFor(flags, ctx, { mustExist: flags.watch !== true });
  // Closed only after the engine: on PostgreSQL the requeued set is rows it deletes on close.
  const queue = queueStoreOf(log);
  try {
    let scope: Scope | undefined;
    if (choosing) {
      const requeued = await requeueSelected(log, queue, ids, flags, { to, tls, out, ctx });
      if (!requeued) return ExitCode.ok;
      // Named deliveries none of which could be requeued (each said why): a script must see
      // that nothing was done. A selector that matches nothing is not a failure.
      if (requeued.requeued === 0 && !flags.watch) return ids.length > 0 ? ExitCode.failed : ExitCode.ok;
      scope = requeued.scope;
    }
    // --watch keeps running the whole schedule, requeued deliveries included.
    return await runSchedule(
      log,
      {
        concurrency: flags.concurrency,
        leaseMarginMs: flags.leaseMargin,
        watch: flags.watch === true,
        policy,
        scope: flags.watch ? undefined : scope,
        due: flags.due === true,
        forMs: flags.for,
        alerts,
      },
      ctx,
      out,
    );
  } finally {
    try {
      await queue.close();
    } finally {
      await log.close();
    }
  }
}

/** `replay <ids>` or selectors: choose the deliveries and requeue them (see requeueChosen). */
async function requeueSelected(
  log: LogHandle,
  queue: QueueStore,
  ids: string[],
  flags: ReplayFlags,
  options: { to: string | undefined; tls: TlsSetting | undefined; out: Output; ctx: CliContext },
): Promise<{ scope: Scope; requeued: number } | undefined> {
  if (flags.endpoint !== undefined && !(await endpointStoreOf(log).getEndpointByName(flags.endpoint))) {
    throw noEndpoint(flags.endpoint);
  }
  const now = options.ctx.now();
  const chosen =
    ids.length > 0
      ? await resolveLogIds(log, "deliveries", ids)
      : await queue.selectDeliveryIdsInto({
          status: flags.status ?? requeueable,
          since: flags.since !== undefined ? now - flags.since : undefined,
          eventGlob: flags.event,
          endpointName: flags.endpoint,
        });
  return requeueChosen(options.out, queue, chosen, {
    to: options.to,
    dryRun: flags.dryRun,
    newId: flags.newId,
    tls: options.tls,
    nothing: "no deliveries match; nothing to requeue",
    ctx: options.ctx,
  });
}

/** Statuses of the chosen deliveries past the ones shown, counted a chunk at a time. */
async function countRest(queue: QueueStore, chosen: LogIdList): Promise<StatusCounts> {
  const rest: StatusCounts = { pending: 0, in_flight: 0, succeeded: 0, dead: 0 };
  for (let start = dryRunShown; start < chosen.length; start += countChunk) {
    const counts = await queue.countByStatusOf(await chosen.slice(start, start + countChunk));
    for (const status of deliveryStatuses) rest[status] += counts[status];
  }
  return rest;
}

const countChunk = 10_000;
