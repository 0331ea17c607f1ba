import type { Command } from "commander";
import { deliveryJson } from "../../contract/delivery.js";
import { maskUrl } from "../../contract/mask.js";
import { ExitCode, UsageError } from "../../errors.js";
import { escapeControl } from "../../format/escape.js";
import { describeDeliveries, purgeDeliveries } from "../../store/queue.js";
import type { CliContext, InStream } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { openStoreFor } from "../store.js";
import { chooseDeadLetters } from "./dlq.js";

interface PurgeFlags extends GlobalOptions {
  all?: boolean;
  olderThan?: number;
  endpoint?: string;
  event?: string;
  yes?: boolean;
  dryRun?: boolean;
}

/** Read one line of an answer from a terminal. */
function readAnswer(stdin: InStream): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes("\n")) finish();
    };
    const finish = () => {
      stdin.off("data", onData);
      stdin.off("end", finish);
      stdin.pause();
      resolve(text.split("\n")[0] ?? "");
    };
    stdin.on("data", onData);
    stdin.once("end", finish);
    stdin.resume();
  });
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
      for (const item of describeDeliveries(db, chosen)) {
        const { delivery, eventType, endpointName } = item;
        if (out.json) out.writeJson({ outcome: "would-purge", delivery: deliveryJson(item) });
        else
          out.line(`${delivery.id}  ${escapeControl(eventType)}  ${endpointName ?? maskUrl(delivery.url)}`);
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
      if (ctx.stdin.isTTY !== true) {
        throw new UsageError(
          `refusing to purge ${noun(chosen.length)} without --yes when not on a terminal`,
          "add --yes",
        );
      }
      ctx.stderr.write(`Purge ${noun(chosen.length)} with their attempts? This cannot be undone. [y/N] `);
      const answer = await readAnswer(ctx.stdin);
      if (!/^\s*y(es)?\s*$/i.test(answer)) {
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
