import { unsendableReason } from "./header-value.js";
/**
 * Which event types an endpoint receives. A subscription is a list of globs over the type:
 * `*` matches any run of characters (dots included: `order.*` takes `order.paid` and
 * `order.item.added`), `?` exactly one; anything else matches itself, case-sensitively, as
 * `hookctl log --event` does. No list means every type.
 */
export function subscribes(globs: readonly string[] | null | undefined, type: string): boolean {
  if (globs === null || globs === undefined) return true;
  return globs.some((glob) => globMatcher(glob).test(type));
}

const compiled = new Map<string, RegExp>();

function globMatcher(glob: string): RegExp {
  let matcher = compiled.get(glob);
  if (!matcher) {
    const source = glob
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    matcher = new RegExp(`^${source}$`, "s");
    if (compiled.size > 1000) compiled.clear();
    compiled.set(glob, matcher);
  }
  return matcher;
}

/**
 * `--events 'order.*,invoice.paid'` as a list: split on commas, blanks dropped, each trimmed.
 * Returns the problem with the text when there is one (an empty list subscribes to nothing, which
 * is never what was meant).
 */
export function parseSubscription(
  text: string,
): { globs: string[] } | { problem: string; unsendable?: boolean } {
  const globs = text
    .split(",")
    .map((glob) => glob.trim())
    .filter((glob) => glob !== "");
  if (globs.length === 0) return { problem: "names no event type" };
  const long = globs.find((glob) => glob.length > 200);
  if (long) return { problem: `has a glob of ${long.length} characters (at most 200)` };
  // Event types go out as the X-Webhook-Event header: a glob no header value can hold never matches.
  for (const glob of globs) {
    const reason = unsendableReason(glob);
    if (reason) return { problem: `glob ${JSON.stringify(glob)} ${reason}`, unsendable: true };
  }
  return { globs: [...new Set(globs)] };
}
