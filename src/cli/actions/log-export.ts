import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { resolve } from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { ExitCode, InterruptedError, UsageError } from "../../errors.js";
import { type LogHandle, openLog } from "../../store/log-handle.js";
import { isPostgresUrl } from "../../store/pg/url.js";
import { encodeLog } from "../../store/transfer/ndjson.js";
import { readLog } from "../../store/transfer/read.js";
import type { Batch } from "../../store/transfer/tables.js";
import { type TableCounts, writeLog, zeroCounts } from "../../store/transfer/write.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions, type Output } from "../output.js";
import { withLog } from "../store.js";
import { listedRows, transferResult, transferSummary } from "./log-transfer-report.js";

interface ExportFlags extends GlobalOptions {
  to?: string;
  output?: string;
}

/**
 * `hookctl log export`: the whole log (--db) as an NDJSON stream on stdout or into --output, or
 * with --to copied straight into another, empty log (a SQLite file or a PostgreSQL URL) in one
 * transaction. The stream holds every secret in full, so it is never written to a terminal.
 */
export async function runLogExport(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<ExportFlags>();
  const out = createOutput(ctx, flags);
  if (flags.to !== undefined && flags.output !== undefined) {
    throw new UsageError(
      "--to and --output do not go together",
      "copy into a log with --to, or write a file with --output",
    );
  }
  if (flags.to === undefined && flags.output === undefined && ctx.stdout.isTTY === true) {
    throw new UsageError(
      "refusing to write the export to a terminal: it holds every endpoint secret in full",
      "redirect it (hookctl log export > hookctl.ndjson), use --output <file>, or copy with --to <db>",
    );
  }
  return withLog(flags, ctx, { readOnly: true }, async (source) => {
    if (flags.to !== undefined) await copyInto(flags.to, source, ctx, out);
    else await streamOut(flags.output, source, ctx, out);
    return ExitCode.ok;
  });
}

/** --to: the log copied straight into another, empty one, in one transaction there. */
async function copyInto(to: string, source: LogHandle, ctx: CliContext, out: Output): Promise<void> {
  const stats = { leasesReleased: 0 };
  const target = await openLog(isPostgresUrl(to) ? to : resolve(ctx.cwd, to));
  let rows: TableCounts;
  try {
    rows = await writeLog(target, readLog(source, { now: ctx.now(), stats }), ctx.signal);
  } finally {
    await target.close();
  }
  const result = transferResult(source.where, target.where, rows, stats.leasesReleased);
  if (out.json) out.writeJson(result);
  else out.note(transferSummary(result, rows));
}

/** The export stream, on stdout or into a new private file. */
async function streamOut(
  output: string | undefined,
  source: LogHandle,
  ctx: CliContext,
  out: Output,
): Promise<void> {
  const now = ctx.now();
  const rows = zeroCounts();
  const batches = tallied(readLog(source, { now }), rows, ctx.signal);
  const stream = output === undefined ? ctx.stdout : await createPrivateFile(resolve(ctx.cwd, output));
  try {
    await writeAll(encodeLog(batches, { source: source.backend, now }), stream);
  } finally {
    if (stream !== ctx.stdout) await closeFile(stream as WriteStream);
  }
  const into = output === undefined ? "" : ` into ${output}`;
  out.note(
    `exported ${listedRows(rows)} from ${source.where}${into}; it holds endpoint secrets in full: keep it private`,
  );
}

/** `batches`, counted into `rows`, stopping at Ctrl-C (the stream then lacks its end line). */
async function* tallied(
  batches: AsyncIterable<Batch>,
  rows: TableCounts,
  signal: AbortSignal,
): AsyncGenerator<Batch> {
  for await (const batch of batches) {
    if (signal.aborted)
      throw new InterruptedError("interrupted; the export is incomplete and import refuses it");
    rows[batch.table.name] += batch.rows.length;
    yield batch;
  }
}

async function writeAll(chunks: AsyncIterable<string>, stream: Writable): Promise<void> {
  for await (const text of chunks) {
    if (!stream.write(text)) await once(stream, "drain");
  }
}

/** A new file only its owner can read (mode 0600), never one that exists already. */
async function createPrivateFile(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path, { flags: "wx", mode: 0o600 });
  try {
    await once(stream, "open");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unwritable";
    throw new UsageError(
      code === "EEXIST" ? `${path} already exists` : `cannot write ${path} (${code})`,
      code === "EEXIST" ? "give a new file name; the export never overwrites one" : "check the path",
      error,
    );
  }
  return stream;
}

async function closeFile(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}
