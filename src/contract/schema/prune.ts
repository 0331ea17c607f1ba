import * as z from "zod/mini";
import { instant } from "./common.js";

/**
 * `log prune --json`: one object, what was deleted (or with --dry-run would be) from before
 * `cutoff`. `received` is null unless --received asked for captured requests; `freedBytes` is
 * null unless --vacuum gave the space back.
 */
export const pruneResult = z.object({
  dryRun: z.boolean(),
  cutoff: instant,
  deliveries: z.int(),
  attempts: z.int(),
  events: z.int(),
  alerts: z.int(),
  received: z.nullable(z.int()),
  freedBytes: z.nullable(z.int()),
});

export type PruneResultJson = z.infer<typeof pruneResult>;
