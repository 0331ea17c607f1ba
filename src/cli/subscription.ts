import { parseSubscription } from "../delivery/subscriptions.js";
import { UsageError } from "../errors.js";
import { escapeControl } from "../format/escape.js";

const example = "give globs separated by commas, e.g. --events 'order.*,invoice.paid'";

/**
 * `--events` (repeatable; the lists are joined) as the globs to store. Event types go out as the
 * X-Webhook-Event header, so a glob with a line break, another control character or a character
 * beyond Latin-1 could never match: refused rather than stored as a subscription to nothing.
 */
export function eventsFlag(values: readonly string[]): string[] {
  const parsed = parseSubscription(values.join(","));
  if ("problem" in parsed) {
    throw new UsageError(
      `--events ${parsed.problem}`,
      parsed.unsendable
        ? "event types are header values (X-Webhook-Event), so it could never match"
        : example,
    );
  }
  return parsed.globs;
}

/**
 * A subscription as `endpoint list` and `show` print it: `*` for every type (what the glob `*`
 * matches, so the column reads the same whichever way it was stored), the globs otherwise.
 */
export function subscriptionWords(events: readonly string[] | null | undefined): string {
  if (events === null || events === undefined) return "*";
  if (events.length === 0) return "none";
  return events.map((glob) => escapeControl(glob)).join(", ");
}
