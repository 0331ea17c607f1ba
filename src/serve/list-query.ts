import { maxDurationMs, parseDuration } from "../config/duration.js";
import type { DeliveryPageQuery } from "../store/delivery-page.js";
import type { OutboxStore } from "../store/ports/outbox.js";
import { type DeliveryStatus, deliveryStatuses } from "../store/types.js";
import { decodeCursor } from "./cursor.js";
import { Problem } from "./http.js";

export const defaultPageSize = 50;
export const maxPageSize = 500;

const known = ["status", "event", "endpoint", "since", "limit", "cursor"] as const;

function bad(detail: string): Problem {
  return new Problem(400, "Bad Request", detail);
}

/**
 * `GET /v1/deliveries`'s query string as a page query. Every fault is a 400 with one line that
 * names the parameter: an unknown or repeated parameter too, since a typo silently ignored
 * would list everything.
 */
export async function parseListQuery(
  query: URLSearchParams,
  outbox: OutboxStore,
  now: number,
): Promise<DeliveryPageQuery> {
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (!(known as readonly string[]).includes(name)) {
      throw bad(`unknown query parameter ${JSON.stringify(name)}; use ${known.join(", ")}`);
    }
    if (seen.has(name)) throw bad(`query parameter ${name} given more than once`);
    seen.add(name);
  }
  const text = (name: (typeof known)[number]) => query.get(name) ?? undefined;
  const cursor = text("cursor");
  const endpointName = text("endpoint");
  if (endpointName !== undefined && !(await outbox.endpointExists(endpointName))) {
    throw bad(`no endpoint named ${JSON.stringify(endpointName)}`);
  }
  const eventGlob = text("event");
  if (eventGlob === "") throw bad("event must be an event type or a glob such as order.*");
  return {
    status: parseStatus(text("status")),
    eventGlob,
    endpointName,
    since: parseSince(text("since"), now),
    beforeId: cursor === undefined ? undefined : decodeCursor(cursor),
    limit: parseLimit(text("limit")),
  };
}

function parseStatus(status: string | undefined): DeliveryStatus | undefined {
  if (status === undefined || (deliveryStatuses as readonly string[]).includes(status)) {
    return status as DeliveryStatus | undefined;
  }
  throw bad(`status must be one of ${deliveryStatuses.join(", ")}, not ${JSON.stringify(status)}`);
}

function parseLimit(limit: string | undefined): number {
  if (limit === undefined) return defaultPageSize;
  const n = /^\d{1,6}$/.test(limit) ? Number(limit) : Number.NaN;
  if (n >= 1 && n <= maxPageSize) return n;
  throw bad(`limit must be a whole number from 1 to ${maxPageSize}, not ${JSON.stringify(limit)}`);
}

/** An instant (ISO 8601 with a zone) or an age such as `1h` (created within the last hour). */
function parseSince(since: string | undefined, now: number): number | undefined {
  if (since === undefined) return undefined;
  const age = parseDuration(since);
  if (age !== undefined && age <= maxDurationMs) return now - age;
  // An unencoded `+01:00` arrives as " 01:00" (a plus in a query string is a space).
  const instant = since.replace(/ (\d\d:\d\d)$/, "+$1");
  const at = /^\d{4}-\d\d-\d\dT[^ ]*(Z|[+-]\d\d:\d\d)$/.test(instant) ? Date.parse(instant) : Number.NaN;
  if (Number.isFinite(at)) return at;
  throw bad(`since must be an ISO 8601 instant or an age such as 1h, not ${JSON.stringify(since)}`);
}
