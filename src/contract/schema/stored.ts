import * as z from "zod/mini";

/**
 * The JSON hookctl keeps in its own log's columns. Another process (or a hand edit, or a disk
 * fault) can leave something else there: what is read back is checked, never cast.
 */

/** deliveries.extra_headers: the -H headers added to every attempt. */
export const storedHeaderObject = z.record(z.string(), z.string());

/** received.headers: [name, value] pairs in arrival order. */
export const storedHeaderPairs = z.array(z.tuple([z.string(), z.string()]));

/** deliveries.secrets: the secrets given with --secret for a bare-URL delivery. */
export const storedSecrets = z.array(z.string());

/** deliveries.policy and endpoints.policy: a partial retry policy over the defaults. */
export const storedPolicy = z.object({
  retries: z.optional(z.int().check(z.nonnegative())),
  initialMs: z.optional(z.number().check(z.nonnegative())),
  maxDelayMs: z.optional(z.number().check(z.nonnegative())),
  factor: z.optional(z.nullable(z.number())),
  jitter: z.optional(z.number()),
  retry4xx: z.optional(z.boolean()),
});
