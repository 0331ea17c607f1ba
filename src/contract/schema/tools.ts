import * as z from "zod/mini";
import { deliveryStatus, milliseconds, retryPolicy } from "./common.js";
import { headerList } from "./headers.js";

/** `sign --format json`: the headers to send, in the order to send them. */
export const signResult = z.object({ scheme: z.string(), headers: headerList });

/** `secret generate --json`. */
export const generatedSecret = z.object({ secret: z.string(), bytes: z.int() });

/** `secret generate --ed25519 --json`: Standard Webhooks' asymmetric pair. */
export const generatedKeyPair = z.object({ secretKey: z.string(), publicKey: z.string() });

/** `backoff --json`: the schedule a policy gives. */
export const backoffSchedule = z.object({
  policy: retryPolicy,
  retries: z.array(
    z.object({
      retry: z.int(),
      delayMs: milliseconds,
      minMs: milliseconds,
      maxMs: milliseconds,
      cumulativeMs: milliseconds,
    }),
  ),
  totalMs: milliseconds,
});

/** `send --list-fixtures --json`: one per line. */
export const fixture = z.object({ name: z.string(), type: z.string(), bytes: z.int() });

/** `demo --json`: what happened to each delivery, and whether it ended as designed. */
export const demoSummary = z.object({
  db: z.string(),
  deliveries: z.array(
    z.object({
      endpoint: z.string(),
      behaviour: z.string(),
      eventType: z.string(),
      deliveryId: z.string(),
      status: deliveryStatus,
      attemptCount: z.int(),
      lastStatusCode: z.nullable(z.int()),
      asExpected: z.boolean(),
    }),
  ),
  deliveredFirstTime: z.int(),
  deliveredAfterRetries: z.int(),
  dead: z.int(),
  asExpected: z.boolean(),
});

export type DemoSummaryJson = z.infer<typeof demoSummary>;
export type SignResultJson = z.infer<typeof signResult>;
export type BackoffScheduleJson = z.infer<typeof backoffSchedule>;
