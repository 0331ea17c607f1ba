import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { Db } from "../../store/open.js";
import { getReceived, listReceived, type ReceivedRow, receivedIdsWithPrefix } from "../../store/received.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { detailLines, requestJson, requestLine, viewOfRow } from "../render/received.js";
import { openStoreFor } from "../store.js";

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
  const { db, path } = openStoreFor(flags, ctx);
  try {
    const rows = listReceived(db, { limit: flags.limit, deliveryId: flags.delivery });
    if (out.json) {
      for (const row of rows) out.writeJson(requestJson(viewOfRow(row)));
      return 0;
    }
    if (rows.length === 0) {
      out.note(
        `no captured requests in ${path}${flags.delivery ? ` for ${flags.delivery}` : ""}; run hookctl listen`,
      );
      return 0;
    }
    for (const row of rows) out.line(requestLine(viewOfRow(row), out.style, { withId: true }));
    return 0;
  } finally {
    db.close();
  }
}

/** `hookctl log received show <id>`: one request, headers and body exactly as they arrived. */
export async function runLogReceivedShow(id: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<ShowFlags>();
  const out = createOutput(ctx, flags);
  const { db } = openStoreFor(flags, ctx);
  try {
    const row = find(db, id.trim());
    if (flags.raw) {
      // The exact bytes, untouched: for diffing, hashing, or re-verifying with hookctl verify.
      await writeAll(ctx.stdout, row.body);
      return 0;
    }
    const view = viewOfRow(row);
    if (out.json) {
      out.writeJson(requestJson(view, { headers: row.headers, body: row.body }));
      return 0;
    }
    out.line(requestLine(view, out.style, { withId: true }));
    if (row.durationMs !== null)
      out.line(`    ${out.style.dim(`answered in ${row.durationMs.toFixed(1)}ms`)}`);
    for (const line of detailLines(row.headers, row.body, out.style)) out.line(line);
    return 0;
  } finally {
    db.close();
  }
}

function find(db: Db, id: string): ReceivedRow {
  const exact = getReceived(db, id);
  if (exact) return exact;
  const matches = id === "" ? [] : receivedIdsWithPrefix(db, id);
  if (matches.length === 1) return getReceived(db, matches[0] as string) as ReceivedRow;
  if (matches.length > 1)
    throw new UsageError(`${id} matches several captured requests`, "give more of the id");
  throw new UsageError(`no captured request ${id}`, "list them with hookctl log received");
}

function writeAll(stream: NodeJS.WritableStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}
