import { UsageError } from "../errors.js";
import { type IdTable, minIdSuffix } from "../store/id-lookup.js";
import type { LogHandle } from "../store/log-handle.js";
import { findLogIdsBySuffix } from "../store/ports/ids.js";

const nouns: Record<IdTable, { one: string; many: string; list: string }> = {
  deliveries: { one: "delivery", many: "deliveries", list: "hookctl log" },
  events: { one: "event", many: "events", list: "hookctl log" },
  received: { one: "captured request", many: "captured requests", list: "hookctl log received" },
};

/** How many candidates an ambiguous id lists. */
const shownCandidates = 5;

/**
 * The full id that `text` names (the id, or a unique suffix of at least six characters, as
 * lists and `inspect` show them), or a UsageError that says what matched and what to do.
 */
export async function resolveLogId(log: LogHandle, table: IdTable, text: string): Promise<string> {
  const wanted = wantedId(table, text);
  return resolved(table, wanted, await findLogIdsBySuffix(log, table, wanted, shownCandidates + 1));
}

/** Every id resolved, in order, without repeats. */
export async function resolveLogIds(
  log: LogHandle,
  table: IdTable,
  texts: readonly string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const text of texts) ids.push(await resolveLogId(log, table, text));
  return [...new Set(ids)];
}

function wantedId(table: IdTable, text: string): string {
  const wanted = text.trim();
  const noun = nouns[table];
  if (wanted === "") throw new UsageError(`no ${noun.one} id given`, `list them with ${noun.list}`);
  return wanted;
}

function resolved(table: IdTable, wanted: string, matches: readonly string[]): string {
  const noun = nouns[table];
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1) {
    const shown = matches.slice(0, shownCandidates).join(", ");
    const more = matches.length > shownCandidates ? ", …" : "";
    throw new UsageError(
      `${JSON.stringify(wanted)} matches several ${noun.many}: ${shown}${more}`,
      "give more characters of the id",
    );
  }
  const hint =
    wanted.length < minIdSuffix
      ? `give the full id or at least its last ${minIdSuffix} characters`
      : `list them with ${noun.list}`;
  throw new UsageError(`no ${noun.one} ${JSON.stringify(wanted)} in the log`, hint);
}
