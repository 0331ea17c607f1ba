import type { Command } from "commander";
import { deliveryJson } from "../../contract/delivery.js";
import { ExitCode } from "../../errors.js";
import { queueStoreOf } from "../../store/ports/queue.js";
import { chunksOfLog, type QueuedDelivery } from "../../store/queue.js";
import { confirmOrRefuse } from "../confirm.js";
import type { CliContext } from "../context.js";
import { drained } from "../drain.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { withLog } from "../store.js";
import { chooseDeadLetters, deadLetterTable } from "./dlq.js";

interface PurgeFlags extends GlobalOptions {
  all?: boolean;
  olderThan?: number;
  endpoint?: string;
  event?: string;
  yes?: boolean;
  dryRun?: boolean;
}

/**
 * `hookctl dlq purge`: delete dead letters for good. Asks first on a terminal; elsewhere it
 * refuses without --yes (exit 2), so a script never deletes by accident.
 */
export async function runDlqPurge(ids: string[], command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<PurgeFlags>();
  const out = createOutput(ctx, flags);
  // Purging acts on stored dead letters: a mistyped --db is an error, not a new empty log.
  return withLog(flags, ctx, { mustExist: true }, async (log) => {
    const queue = queueStoreOf(log, { now: ctx.now });
    try {
      // --older-than is a duration; the selector wants the instant before which they died.
      const olderThan = flags.olderThan !== undefined ? ctx.now() - flags.olderThan : undefined;
      const chosen = await chooseDeadLetters(log, queue, ids, { ...flags, olderThan }, "purge");
      const noun = (n: number) => `${n} dead ${n === 1 ? "letter" : "letters"}`;
      if (flags.dryRun) {
        // JSON goes out a chunk at a time; the table needs them all to size its columns.
        const items: QueuedDelivery[] = [];
        await queue.describeInChunks(chosen, (chunk) => {
          if (!out.json) items.push(...chunk);
          else {
            for (const item of chunk) out.writeJson({ outcome: "would-purge", delivery: deliveryJson(item) });
            return drained(ctx.stdout);
          }
        });
        if (items.length > 0) for (const line of deadLetterTable(items, out.style, ctx.now())) out.line(line);
        if (!out.json) out.note(`dry run: ${noun(chosen.length)} would be purged; nothing changed`);
        return ExitCode.ok;
      }
      if (chosen.length === 0) {
        if (out.json) out.writeJson({ purged: 0, ids: [] });
        else out.note("no dead letters match; nothing to purge");
        return ExitCode.ok;
      }
      if (!flags.yes) {
        const yes = await confirmOrRefuse(
          ctx,
          `Purge ${noun(chosen.length)} with their attempts? This cannot be undone.`,
          `refusing to purge ${noun(chosen.length)}`,
        );
        if (!yes) {
          out.note("nothing purged");
          return ExitCode.ok;
        }
      }
      if (!out.json) {
        out.note(`purged ${noun(await queue.purgeDeliveries(chosen))}`);
        return ExitCode.ok;
      }
      // The ids are listed as chosen (before the purge deletes them), read a chunk at a time.
      const purgedIds: string[] = [];
      for await (const chunk of chunksOfLog(chosen)) purgedIds.push(...chunk);
      out.writeJson({ purged: await queue.purgeDeliveries(chosen), ids: purgedIds });
      return ExitCode.ok;
    } finally {
      await queue.close();
    }
  });
}
