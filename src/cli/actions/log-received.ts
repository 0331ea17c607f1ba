import type { Command } from "commander";
import { formatDuration } from "../../config/duration.js";
import { ExitCode, UsageError } from "../../errors.js";
import { table } from "../../format/table.js";
import { receivedStoreOf } from "../../store/ports/received.js";
import type { CliContext } from "../context.js";
import { resolveLogId } from "../ids.js";
import { createOutput, type GlobalOptions } from "../output.js";
import {
  detailLines,
  requestCells,
  requestColumns,
  requestDetailJson,
  requestJson,
  requestLine,
  viewOfRow,
} from "../render/received.js";
import { withLog } from "../store.js";

interface ListFlags extends GlobalOptions {
  limit: number;
  delivery?: string;
}

interface ShowFlags extends GlobalOptions {
  raw?: boolean;
}

/** `hookctl log received`: captured requests, newest first. */
export async function runLogReceived(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<ListFlags>();
  const out = createOutput(ctx, flags);
  const { rows, where } = await withLog(flags, ctx, { readOnly: true }, async (log) => ({
    rows: await receivedStoreOf(log).listReceived({ limit: flags.limit, deliveryId: flags.delivery }),
    where: log.where,
  }));
  if (out.json) {
    for (const row of rows) out.writeJson(requestJson(viewOfRow(row)));
    return ExitCode.ok;
  }
  if (rows.length === 0) {
    out.note(
      `no captured requests in ${where}${flags.delivery ? ` for ${flags.delivery}` : ""}; run hookctl listen`,
    );
    return ExitCode.ok;
  }
  const cells = rows.map((row) => requestCells(viewOfRow(row), out.style));
  for (const line of table(requestColumns, cells, { header: out.style.bold })) out.line(line);
  return ExitCode.ok;
}

/** `hookctl log received show <id>`: one request, headers and body exactly as they arrived. */
export async function runLogReceivedShow(id: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<ShowFlags>();
  const out = createOutput(ctx, flags);
  const row = await withLog(flags, ctx, { readOnly: true }, async (log) =>
    receivedStoreOf(log).getReceived(await resolveLogId(log, "received", id)),
  );
  if (!row) throw new UsageError(`captured request ${id} was just removed from the log`);
  if (flags.raw) {
    // The exact bytes, untouched: for diffing, hashing, or re-verifying with hookctl verify.
    await writeAll(ctx.stdout, row.body);
    return ExitCode.ok;
  }
  const view = viewOfRow(row);
  if (out.json) {
    out.writeJson(requestDetailJson(view, row.headers, row.body));
    return ExitCode.ok;
  }
  out.line(requestLine(view, out.style, { withId: true }));
  if (row.durationMs !== null)
    out.line(`    ${out.style.dim(`answered in ${formatDuration(row.durationMs)}`)}`);
  for (const line of detailLines(row.headers, row.body, out.style)) out.line(line);
  return ExitCode.ok;
}

function writeAll(stream: NodeJS.WritableStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}
