import * as z from "zod/mini";

/**
 * `verify --json`: one object in every case. `outcome` says which: valid (exit 0), invalid (not
 * authentic, exit 1) or unverifiable (nothing could be checked, exit 2). `timestamp` is the
 * signed time as ISO 8601; `timestampValue` is the header's own value as sent.
 */
export const verifyResult = z.object({
  valid: z.boolean(),
  outcome: z.enum(["valid", "invalid", "unverifiable"]),
  scheme: z.nullable(z.string()),
  reason: z.nullable(z.string()),
  /** Why nothing could be checked (unverifiable only): a stable word, never the reason's text. */
  code: z.nullable(z.string()),
  /** 0-based index of the secret that matched (valid only). */
  secretIndex: z.nullable(z.number()),
  timestamp: z.nullable(z.string()),
  timestampValue: z.nullable(z.string()),
  ageSeconds: z.nullable(z.number()),
});

/** `verify --batch`: the result for each input line, numbered from 1, in input order. */
export const verifyBatchResult = z.extend(verifyResult, { line: z.number() });

/** One input line of `verify --batch`. */
export const verifyBatchLine = z.object({
  headers: z.optional(z.unknown()),
  body: z.optional(z.string()),
  bodyBase64: z.optional(z.string()),
});

export type VerifyResultJson = z.infer<typeof verifyResult>;
export type VerifyBatchResultJson = z.infer<typeof verifyBatchResult>;
