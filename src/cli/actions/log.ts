import type { Command } from "commander";
import { deliveryDetailJson, deliveryJson } from "../../contract/delivery.js";
import { ExitCode, UsageError } from "../../errors.js";
import type { DeliveryDetail } from "../../store/deliveries.js";
import type { LogHandle } from "../../store/log-handle.js";
import { deliveryReadsOf } from "../../store/ports/deliveries.js";
import { endpointStoreOf } from "../../store/ports/endpoints.js";
import { type DeliveryStatus, deliveryStatuses } from "../../store/types.js";
import type { CliContext } from "../context.js";
import { resolveLogId } from "../ids.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { renderDeliveryDetail, viewOfListItem } from "../render/delivery.js";
import { logTable } from "../render/log-table.js";
import { withLog } from "../store.js";

interface LogFlags extends GlobalOptions {
  status?: string;
  event?: string;
  endpoint?: string;
  since?: number;
  limit: number;
}

/** `hookctl log`: deliveries newest first, filtered. */
export async function runLog(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<LogFlags>();
  const out = createOutput(ctx, flags);
  const status = parseStatus(flags.status);
  return withLog(flags, ctx, { readOnly: true }, async (log) => {
    if (flags.endpoint !== undefined) await requireKnownEndpoint(log, flags.endpoint);
    const now = ctx.now();
    const items = await deliveryReadsOf(log).listDeliveries({
      status,
      eventGlob: flags.event,
      endpointName: flags.endpoint,
      since: flags.since !== undefined ? now - flags.since : undefined,
      limit: flags.limit,
    });
    if (out.json) {
      for (const item of items) out.writeJson(deliveryJson(item));
      return ExitCode.ok;
    }
    const views = items.map(viewOfListItem);
    if (views.length === 0) {
      out.note(
        `no deliveries${status || [flags.event, flags.endpoint, flags.since].some((f) => f !== undefined) ? " match" : ` in ${log.where}`}; send one with hookctl send`,
      );
      return ExitCode.ok;
    }
    for (const line of logTable(views, out.style, now)) out.line(line);
    if (views.length === flags.limit) out.note(`showing the newest ${flags.limit}; use --limit for more`);
    return ExitCode.ok;
  });
}

async function requireKnownEndpoint(log: LogHandle, name: string): Promise<void> {
  const endpoints = endpointStoreOf(log);
  if (await endpoints.getEndpointByName(name)) return;
  const known = (await endpoints.listEndpoints()).map((e) => e.name);
  throw new UsageError(
    `unknown endpoint ${JSON.stringify(name)}`,
    known.length > 0 ? `known endpoints: ${known.join(", ")}` : "no endpoints yet (hookctl endpoint add)",
  );
}

function parseStatus(text: string | undefined): DeliveryStatus | undefined {
  if (text === undefined) return undefined;
  const status = text.trim().toLowerCase().replace("-", "_");
  if ((deliveryStatuses as readonly string[]).includes(status)) return status as DeliveryStatus;
  throw new UsageError(`unknown status ${JSON.stringify(text)}`, `use one of ${deliveryStatuses.join(", ")}`);
}

/** `hookctl log show <id>`: one delivery in full; a unique id suffix is enough. */
export async function runLogShow(id: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(ctx, flags);
  return withLog(flags, ctx, { readOnly: true }, async (log) => {
    const detail = await findDetail(log, id);
    if (out.json) out.writeJson(deliveryDetailJson(detail));
    else for (const line of renderDeliveryDetail(detail, out.style, { now: ctx.now() })) out.line(line);
    return ExitCode.ok;
  });
}

/** A delivery by its id or a unique suffix, or a UsageError saying what to do. */
export async function findDetail(log: LogHandle, id: string): Promise<DeliveryDetail> {
  const detail = await deliveryReadsOf(log).loadDeliveryDetail(await resolveLogId(log, "deliveries", id));
  // Resolved a moment ago; gone now only if another process purged it in between.
  if (!detail) throw new UsageError(`delivery ${id} was just removed from the log`);
  return detail;
}
