import * as z from "zod/mini";
import { delivery, event } from "./delivery.js";

/** `GET /v1/events/{id}` (serve): the event, the idempotency key it was accepted under, its deliveries. */
export const eventDetail = z.extend(event, {
  /** Null when accepted without one, or once the key is past the 24 hours it is honoured. */
  idempotencyKey: z.nullable(z.string()),
  /** One per endpoint it was fanned out to (and any made by requeues), oldest first. */
  deliveries: z.array(delivery),
});

/** `GET /v1/deliveries` (serve): one page, newest first; pass `nextCursor` back as `cursor`. */
export const deliveryPage = z.object({
  deliveries: z.array(delivery),
  /** Null on the last page. */
  nextCursor: z.nullable(z.string()),
});

/** `GET /healthz` and `GET /readyz` (serve) when healthy; otherwise a problem+json answer. */
export const serveHealth = z.object({ status: z.literal("ok") });

export type EventDetailJson = z.infer<typeof eventDetail>;
export type DeliveryPageJson = z.infer<typeof deliveryPage>;
export type ServeHealthJson = z.infer<typeof serveHealth>;
