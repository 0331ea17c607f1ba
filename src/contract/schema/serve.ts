import * as z from "zod/mini";

/** An event type: it goes out as the X-Webhook-Event header of every attempt. */
const eventType = z.string().check(z.minLength(1), z.maxLength(200));

/** An idempotency key (the `id` field or the Idempotency-Key header). */
export const idempotencyKey = z.string().check(z.minLength(1), z.maxLength(200));

/**
 * `POST /v1/events`: one event. `payload` is any JSON value and is stored byte for byte as it
 * appears in the request (whitespace kept); `id` is the client's idempotency key, not the event
 * id (hookctl's event ids stay time-sortable).
 */
export const ingestRequest = z.strictObject({
  type: eventType,
  payload: z.unknown(),
  id: z.optional(idempotencyKey),
});

/** Most events in one batch request. */
export const maxBatchEvents = 1000;

/** `POST /v1/events:batch`: several events committed together, all or none. */
export const ingestBatchRequest = z.strictObject({
  events: z.array(ingestRequest).check(z.maxLength(maxBatchEvents)),
});

/**
 * The answer to an accepted event (202, sent only once it is committed): hookctl's event id, one
 * delivery per subscribed endpoint (none when no endpoint subscribes to the type), and whether
 * this was a repeat of an idempotency key (then the ids are the first request's).
 */
export const ingestResult = z.object({
  id: z.string(),
  type: z.string(),
  idempotencyKey: z.nullable(z.string()),
  duplicate: z.boolean(),
  deliveries: z.array(z.object({ id: z.string(), endpoint: z.string() })),
});

export const ingestBatchResult = z.object({ events: z.array(ingestResult) });

/** Every error `serve` answers, as `application/problem+json` (RFC 9457); `detail` is one line. */
export const problem = z.object({
  type: z.literal("about:blank"),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
});

export type IngestRequestJson = z.infer<typeof ingestRequest>;
export type IngestResultJson = z.infer<typeof ingestResult>;
export type IngestBatchResultJson = z.infer<typeof ingestBatchResult>;
export type ProblemJson = z.infer<typeof problem>;
