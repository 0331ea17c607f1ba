import { createReadStream, existsSync, rmSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { resolveDbPath } from "../../config/paths.js";
import { ExitCode, UsageError } from "../../errors.js";
import { isPostgresUrl } from "../../store/pg/url.js";
import { decodeLog, linesOf } from "../../store/transfer/ndjson.js";
import { releasingLeases } from "../../store/transfer/read.js";
import { writeLog } from "../../store/transfer/write.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { withLog } from "../store.js";
import { transferResult, transferSummary } from "./log-transfer-report.js";

/**
 * `hookctl log import [file|-]`: a stream `log export` wrote, into the log --db names (created
 * if missing; it must hold no rows). Every line is checked as it comes; the whole import is one
 * transaction, so a bad line (exit 2, named by its number) or a cut-off stream imports nothing.
 */
export async function runLogImport(
  file: string | undefined,
  command: Command,
  ctx: CliContext,
): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions>();
  const fromStdin = file === undefined || file === "-";
  if (fromStdin && ctx.stdin.isTTY === true) {
    throw new UsageError(
      "nothing to import: stdin is a terminal",
      "hookctl log import <file>, or pipe an export in",
    );
  }
  const path = fromStdin ? undefined : resolve(ctx.cwd, file);
  if (path !== undefined) requireReadable(path, file as string);
  // A SQLite log this import creates goes again if the import fails: nothing was imported.
  const target = resolveDbPath(flags.db, ctx.env);
  const creates = !isPostgresUrl(target) && !existsSync(target);
  try {
    return await importInto(flags, ctx, path, file);
  } catch (error) {
    if (creates) for (const suffix of ["", "-wal", "-shm"]) rmSync(`${target}${suffix}`, { force: true });
    throw error;
  }
}

function importInto(
  flags: GlobalOptions,
  ctx: CliContext,
  path: string | undefined,
  file: string | undefined,
): Promise<number> {
  const out = createOutput(ctx, flags);
  const fromStdin = path === undefined;
  return withLog(flags, ctx, {}, async (target) => {
    const stats = { leasesReleased: 0 };
    const input = path === undefined ? ctx.stdin : createReadStream(path);
    const batches = releasingLeases(decodeLog(linesOf(input)), { now: ctx.now(), stats });
    const rows = await writeLog(target, batches, ctx.signal);
    const result = transferResult(
      fromStdin ? "stdin" : (file as string),
      target.where,
      rows,
      stats.leasesReleased,
    );
    if (out.json) out.writeJson(result);
    else out.note(transferSummary(result, rows).replace(/^copied/, "imported"));
    return ExitCode.ok;
  });
}

function requireReadable(path: string, named: string): void {
  try {
    if (statSync(path).isDirectory())
      throw new UsageError(`${named} is a directory`, "give the export's file");
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`cannot read ${named} (${code})`, "check the path", error);
  }
}
