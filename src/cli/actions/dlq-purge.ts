import type { Command } from "commander";
import { deliveryJson } from "../../contract/delivery.js";
import { ExitCode } from "../../errors.js";
import { describeDeliveries, purgeDeliveries } from "../../store/queue.js";
import { confirmOrRefuse } from "../confirm.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { openStoreFor } from "../store.js";
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
  const { db } = openStoreFor(flags, ctx, { mustExist: true });
  try {
    // --older-than is a duration; the selector wants the instant before which they died.
    const olderThan = flags.olderThan !== undefined ? ctx.now() - flags.olderThan : undefined;
    const chosen = chooseDeadLetters(db, ids, { ...flags, olderThan }, "purge");
    const noun = (n: number) => `${n} dead ${n === 1 ? "letter" : "letters"}`;
    if (flags.dryRun) {
      const items = describeDeliveries(db, chosen);
      if (out.json) {
        for (const item of items) out.writeJson({ outcome: "would-purge", delivery: deliveryJson(item) });
      } else if (items.length > 0) {
        for (const line of deadLetterTable(items, out.style, ctx.now())) out.line(line);
      }
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
    const purged = purgeDeliveries(db, chosen);
    if (out.json) out.writeJson({ purged, ids: chosen });
    else out.note(`purged ${noun(purged)}`);
    return ExitCode.ok;
  } finally {
    db.close();
  }
}
