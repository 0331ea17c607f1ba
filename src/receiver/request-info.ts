/** Headers that carry the delivery id, in the order they are trusted. */
const deliveryIdHeaders = ["x-webhook-delivery-id", "webhook-id", "svix-id"];

/** Headers providers use to name the event type. */
const eventTypeHeaders = [
  "x-webhook-event",
  "x-webhook-event-type",
  "x-event-type",
  "x-github-event",
  "x-shopify-topic",
];

/** Raw header pairs (`req.rawHeaders`) in arrival order and case. */
export function headerPairs(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}

/** The delivery id a sender put on the request, used to dedupe and to count attempts. */
export function deliveryIdOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string | null {
  for (const name of deliveryIdHeaders) {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (text && text.trim() !== "") return text.trim();
  }
  return null;
}

/**
 * The event type: a provider header, else a top-level `type` (Stripe, Standard Webhooks, hookctl
 * fixtures) or `event` string in a JSON body. The body is only read, never re-serialized.
 */
export function eventTypeOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Buffer,
): string | null {
  for (const name of eventTypeHeaders) {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (text && text.trim() !== "") return text.trim();
  }
  if (body.length === 0 || body.length > 256 * 1024 || !looksLikeJsonObject(body)) return null;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    for (const key of ["type", "event_type", "event"]) {
      const value = parsed[key];
      if (typeof value === "string" && value !== "") return value;
      // Some providers nest it: {"event": {"type": "app_mention"}}.
      if (value && typeof value === "object" && typeof (value as { type?: unknown }).type === "string") {
        return (value as { type: string }).type;
      }
    }
  } catch {
    // Not JSON after all: no type.
  }
  return null;
}

function looksLikeJsonObject(body: Buffer): boolean {
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b; // "{"
  }
  return false;
}

/**
 * Header pairs as node's `req.headers` would hold them: names in lower case, repeats joined with
 * ", " (set-cookie kept as a list), so a relayed request is checked exactly as a local one.
 */
export function headerRecordOf(
  pairs: readonly (readonly [string, string])[],
): Record<string, string | string[] | undefined> {
  const record: Record<string, string | string[] | undefined> = Object.create(null);
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase();
    const previous = record[name];
    if (name === "set-cookie") record[name] = [...((previous as string[] | undefined) ?? []), value];
    else record[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return record;
}
