import type { Command } from "commander";
import { defaultPolicy, mergePolicy, policyProblem, type RetryPolicy } from "../../delivery/policy.js";
import { ExitCode, UsageError } from "../../errors.js";
import { getEndpointByName } from "../../store/endpoints.js";
import type { Scope, ScopeSet } from "../../store/engine-port.js";
import { newId } from "../../store/ids.js";
import type { Db } from "../../store/open.js";
import {
  countByStatusOf,
  describeDeliveries,
  describeInChunks,
  type IdList,
  type RequeueOptions,
  requeueInChunks,
  selectDeliveryIdsInto,
} from "../../store/queue.js";
import type { DeliveryStatus, TlsSetting } from "../../store/types.js";
import { type AlertFlagValues, alertSpecFromFlags } from "../alert-flags.js";
import type { CliContext } from "../context.js";
import { drained } from "../drain.js";
import { resolveIds } from "../ids.js";
import { createOutput, type GlobalOptions, type Output } from "../output.js";
import { type PolicyFlagValues, policyOverride } from "../policy-flags.js";
import {
  dryRunShown,
  renderRequeuedChunk,
  renderRequeueSummary,
  renderWouldRequeue,
  renderWouldRequeueJson,
} from "../render/requeue.js";
import { openStoreFor } from "../store.js";
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
  db: Db,
  chosen: IdList,
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
      await describeInChunks(db, chosen, (items) => {
        renderWouldRequeueJson(out, items, options.to);
        return drained(ctx.stdout);
      });
    } else {
      const shown = describeDeliveries(db, chosen.slice(0, dryRunShown));
      renderWouldRequeue(out, shown, countByStatusOf(db, chosen.slice(dryRunShown)), options.to);
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
  // The requeued set goes into the log's connection, not into memory: a million ids stay there.
  const set: ScopeSet = { set: "hookctl_requeued" };
  const summary = await requeueInChunks(
    db,
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

export function requireEndpoint(db: Db, name: string | undefined): void {
  if (name !== undefined && !getEndpointByName(db, name)) {
    throw new UsageError(`no endpoint named ${JSON.stringify(name)}`, "see hookctl endpoint list");
  }
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
  const { db } = openStoreFor(flags, ctx, { mustExist: flags.watch !== true });
  try {
    let scope: Scope | undefined;
    if (choosing) {
      requireEndpoint(db, flags.endpoint);
      const now = ctx.now();
      const chosen =
        ids.length > 0
          ? resolveIds(db, "deliveries", ids)
          : selectDeliveryIdsInto(db, {
              status: flags.status ?? requeueable,
              since: flags.since !== undefined ? now - flags.since : undefined,
              eventGlob: flags.event,
              endpointName: flags.endpoint,
            });
      const requeued = await requeueChosen(out, db, chosen, {
        to,
        dryRun: flags.dryRun,
        newId: flags.newId,
        tls,
        nothing: "no deliveries match; nothing to requeue",
        ctx,
      });
      if (!requeued) return ExitCode.ok;
      if (requeued.requeued === 0 && !flags.watch) return ExitCode.ok;
      scope = requeued.scope;
    }
    // --watch keeps running the whole schedule, requeued deliveries included.
    return await runSchedule(
      db,
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
    db.close();
  }
}
