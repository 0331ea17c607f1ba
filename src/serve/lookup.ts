import { type IdTable, minIdSuffix } from "../store/id-lookup.js";
import type { LogHandle } from "../store/log-handle.js";
import { findLogIdsBySuffix } from "../store/ports/ids.js";
import { Problem } from "./http.js";

const nouns: Record<IdTable, { one: string; many: string }> = {
  deliveries: { one: "delivery", many: "deliveries" },
  events: { one: "event", many: "events" },
  received: { one: "captured request", many: "captured requests" },
};

/**
 * The full id a path segment names: the id, or a unique suffix of at least six characters, as
 * the CLI takes them. Unknown is 404; a suffix several ids end with is 400, naming a few.
 */
export async function resolvePathId(log: LogHandle, table: IdTable, text: string): Promise<string> {
  const matches = await findLogIdsBySuffix(log, table, text, 4);
  if (matches.length === 1) return matches[0] as string;
  const noun = nouns[table];
  if (matches.length > 1) {
    const shown = `${matches.slice(0, 3).join(", ")}${matches.length > 3 ? ", …" : ""}`;
    throw new Problem(
      400,
      "Bad Request",
      `${JSON.stringify(text)} matches several ${noun.many} (${shown}); give more characters of the id`,
    );
  }
  const hint =
    text.length < minIdSuffix ? `; give the full id or at least its last ${minIdSuffix} characters` : "";
  throw notFound(`no ${noun.one} ${JSON.stringify(text)} in the log${hint}`);
}

export function notFound(detail: string): Problem {
  return new Problem(404, "Not Found", detail);
}
