import * as z from "zod/mini";
import { instant, milliseconds, retryPolicy, tlsVerification } from "./common.js";

export const endpointSecret = z.object({
  /** Masked: `whsec_Ab12…`. */
  secret: z.string(),
  createdAt: instant,
  /** When a rotated-out secret stops being used; null for the current one. */
  expiresAt: z.nullable(instant),
});

/** `endpoint list --json` (one per line), `endpoint add --json`, `endpoint set --json`. */
export const endpoint = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  scheme: z.string(),
  ratePerSecond: z.nullable(z.number()),
  concurrency: z.nullable(z.int()),
  timeoutMs: z.nullable(milliseconds),
  /** The retry policy its deliveries get (its own settings over the defaults). */
  policy: retryPolicy,
  /** How its https connections verify the server; copied to each new delivery (added in 0.2.x). */
  tls: tlsVerification,
  /**
   * The event-type globs it subscribes to (`*` any run of characters, dots included; `?` one
   * character; case-sensitive): `serve` fans an event out to it only when one matches. Null:
   * every type. `send <endpoint>` ignores it (added in 0.2.x).
   */
  events: z.nullable(z.array(z.string())),
  secrets: z.array(endpointSecret),
  createdAt: instant,
});

/** `endpoint show --json`: the endpoint and how many of its deliveries are in each state. */
export const endpointDetail = z.extend(endpoint, {
  deliveries: z.object({
    pending: z.int(),
    inFlight: z.int(),
    succeeded: z.int(),
    dead: z.int(),
  }),
});

/** `endpoint add --json`: a generated secret is shown here once, in full. */
export const endpointAdded = z.extend(endpoint, { generatedSecret: z.nullable(z.string()) });

export const endpointRemoved = z.object({
  name: z.string(),
  removed: z.boolean(),
  /** Waiting deliveries given up (marked dead) because of --force. */
  abandoned: z.int(),
});

export const endpointRotated = z.object({
  name: z.string(),
  /** In full when generated (shown once); masked when you gave it. */
  secret: z.string(),
  retiring: z.int(),
  retiringUntil: z.nullable(instant),
});

export type EndpointJson = z.infer<typeof endpoint>;
export type EndpointDetailJson = z.infer<typeof endpointDetail>;
