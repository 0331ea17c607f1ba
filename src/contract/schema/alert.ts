import * as z from "zod/mini";
import { instant } from "./common.js";
import { delivery } from "./delivery.js";

/**
 * A dead-letter alert: what `--on-dead` reads on stdin and `--alert-url` receives as the body
 * (`replay`, `serve`). `id` is stable for one death of one delivery (the same on every re-send,
 * and the `X-Webhook-Delivery-ID` of the alert webhook), so a receiver dedupes by it.
 */
export const alert = z.object({
  /** `alr_<delivery ulid>_<attempt count>` (a later death after the same count adds `_2`, …). */
  id: z.string(),
  type: z.literal("delivery.dead"),
  /** When the delivery became dead. */
  createdAt: instant,
  deliveryId: z.string(),
  /** The delivery as the log has it when the alert is sent (secrets masked); null once purged. */
  delivery: z.nullable(delivery),
});

const alertOutcome = {
  at: instant,
  alertId: z.string(),
  deliveryId: z.string(),
  /** `command:<the --on-dead command>` or `url:<the --alert-url, credentials masked>`. */
  sink: z.string(),
  /** Which try this was, from 1. */
  attempt: z.int(),
};

/** The sink confirmed an alert (a `replay-event` line; `serve` counts them). */
export const alertSentEvent = z.object({ type: z.literal("alert-sent"), ...alertOutcome });

/** A try failed: retried at `nextAttemptAt`, or given up when that is null. */
export const alertFailedEvent = z.object({
  type: z.literal("alert-failed"),
  ...alertOutcome,
  error: z.string(),
  nextAttemptAt: z.nullable(instant),
});

export type AlertJson = z.infer<typeof alert>;
export type AlertSentEventJson = z.infer<typeof alertSentEvent>;
export type AlertFailedEventJson = z.infer<typeof alertFailedEvent>;
