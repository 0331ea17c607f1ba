import type { Command } from "commander";
import { formatDuration } from "../../config/duration.js";
import { deliveryDetailJson, deliveryJson } from "../../contract/delivery.js";
import { maskUrl } from "../../contract/mask.js";
import { ExitCode, UsageError } from "../../errors.js";
import { escapeControl } from "../../format/escape.js";
import { table } from "../../format/table.js";
import type { LogHandle } from "../../store/log-handle.js";
import { deliveryReadsOf } from "../../store/ports/deliveries.js";
import { endpointStoreOf } from "../../store/ports/endpoints.js";
import { type QueueStore, queueStoreOf } from "../../store/ports/queue.js";
import type { ChosenIds, DeadLetter } from "../../store/queue.js";
import type { CliContext } from "../context.js";
import { resolveLogIds } from "../ids.js";
import { createOutput, type GlobalOptions, type Styles } from "../output.js";
import { renderDeliveryDetail } from "../render/delivery.js";
import { withLog } from "../store.js";
import { parseTargetUrl, requeueChosen } from "./replay.js";

interface ListFlags extends GlobalOptions {
  endpoint?: string;
  event?: string;
  limit: number;
}

const deadLetterColumns = [
  { header: "id" },
  { header: "event" },
  { header: "endpoint/url" },
  { header: "attempts", align: "right" },
  { header: "last" },
  { header: "dead since" },
] as const;

/** Dead letters as a table with their full ids, for `dlq list` and `dlq purge --dry-run`. */
export function deadLetterTable(items: readonly DeadLetter[], style: Styles, now: number): string[] {
  const rows = items.map(({ delivery, eventType, endpointName }) => [
    delivery.id,
    escapeControl(eventType),
    endpointName ?? maskUrl(delivery.url),
    String(delivery.attemptCount),
    delivery.lastStatusCode !== null ? String(delivery.lastStatusCode) : (delivery.lastErrorClass ?? "-"),
    `${formatDuration(Math.max(0, now - (delivery.completedAt ?? delivery.updatedAt)))} ago`,
  ]);
  return table(deadLetterColumns, rows, { header: style.bold });
}

/** `hookctl dlq list`: exit 0 whether or not there are dead letters. */
export function runDlqList(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<ListFlags>();
  const out = createOutput(ctx, flags);
  return withLog(flags, ctx, { readOnly: true }, async (log) => {
    await requireLogEndpoint(log, flags.endpoint);
    const items = await deliveryReadsOf(log).listDeadLetters({
      endpointName: flags.endpoint,
      eventGlob: flags.event,
      limit: flags.limit,
    });
    if (out.json) {
      for (const item of items) out.writeJson(deliveryJson(item));
    } else if (items.length === 0) {
      out.note("no dead letters");
    } else {
      for (const line of deadLetterTable(items, out.style, ctx.now())) out.line(line);
      if (items.length === flags.limit)
        out.note(out.style.dim(`showing the newest ${flags.limit}; use --limit for more`));
    }
    return ExitCode.ok;
  });
}

/** A named endpoint must exist (`--endpoint`). */
async function requireLogEndpoint(log: LogHandle, name: string | undefined): Promise<void> {
  if (name !== undefined && !(await endpointStoreOf(log).getEndpointByName(name))) {
    throw new UsageError(`no endpoint named ${JSON.stringify(name)}`, "see hookctl endpoint list");
  }
}

/** Explicit ids (full or a unique suffix) for dlq requeue/purge/show, which must be dead letters. */
export async function requireDead(log: LogHandle, texts: readonly string[]): Promise<string[]> {
  const ids = await resolveLogIds(log, "deliveries", texts);
  const described = await deliveryReadsOf(log).describeDeliveries(ids);
  const first = described.find((item) => item.delivery.status !== "dead");
  if (first) {
    throw new UsageError(
      `${first.delivery.id} is not a dead letter (it is ${first.delivery.status.replace("_", " ")})`,
      "hookctl replay <id> requeues any delivery",
    );
  }
  return ids;
}

/** `hookctl dlq show <id>`: the dead letter with every attempt. */
export function runDlqShow(id: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(ctx, flags);
  return withLog(flags, ctx, { readOnly: true }, async (log) => {
    const [resolved] = await requireDead(log, [id]);
    const detail = await deliveryReadsOf(log).loadDeliveryDetail(resolved as string);
    if (!detail)
      throw new UsageError(`no delivery ${id} in the log`, "list dead letters with hookctl dlq list");
    if (out.json) out.writeJson(deliveryDetailJson(detail));
    else for (const line of renderDeliveryDetail(detail, out.style, { now: ctx.now() })) out.line(line);
    return ExitCode.ok;
  });
}

interface RequeueFlags extends GlobalOptions {
  all?: boolean;
  endpoint?: string;
  event?: string;
  to?: string;
  newId?: boolean;
  dryRun?: boolean;
}

/**
 * The dead letters a requeue or purge acts on: explicit ids (all dead), or --all narrowed by
 * filters, kept in the log by `queue` (--all may name millions, never worth holding at once).
 */
export async function chooseDeadLetters(
  log: LogHandle,
  queue: QueueStore,
  ids: readonly string[],
  flags: { all?: boolean; endpoint?: string; event?: string; olderThan?: number },
  verb: string,
): Promise<readonly string[] | ChosenIds> {
  const filtered = flags.all || flags.olderThan !== undefined;
  if (ids.length > 0 && (filtered || flags.endpoint !== undefined || flags.event !== undefined)) {
    throw new UsageError(`give delivery ids or --all with filters to ${verb}, not both`);
  }
  if (ids.length > 0) return requireDead(log, ids);
  if (!filtered) {
    throw new UsageError(
      `which dead letters? name delivery ids or pass --all`,
      `see hookctl dlq ${verb} --help`,
    );
  }
  await requireLogEndpoint(log, flags.endpoint);
  return queue.selectDeliveryIdsInto({
    status: "dead",
    endpointName: flags.endpoint,
    eventGlob: flags.event,
    olderThan: flags.olderThan,
  });
}

/** `hookctl dlq requeue`: back to pending, due now; `hookctl replay` then delivers them. */
export async function runDlqRequeue(ids: string[], command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<RequeueFlags>();
  const out = createOutput(ctx, flags);
  const to = parseTargetUrl(flags.to);
  return withLog(flags, ctx, { mustExist: true }, async (log) => {
    const queue = queueStoreOf(log, { now: ctx.now });
    try {
      const chosen = await chooseDeadLetters(log, queue, ids, flags, "requeue");
      const requeued = await requeueChosen(out, queue, chosen, {
        to,
        dryRun: flags.dryRun,
        newId: flags.newId,
        nothing: "no dead letters match; nothing to requeue",
        ctx,
      });
      if (!requeued) return ExitCode.ok;
      if (!out.json) out.note(out.style.dim("run hookctl replay to deliver them"));
      return ExitCode.ok;
    } finally {
      await queue.close();
    }
  });
}
