import * as z from "zod/mini";
import { headersInput } from "./headers.js";

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
  /**
   * Why nothing could be checked (unverifiable only), a stable word, never the reason's text:
   * no-secret, no-signature, ambiguous, bad-secret, unknown-scheme, bad-input, internal.
   */
  code: z.nullable(z.string()),
  /** 0-based index of the secret that matched (valid only). */
  secretIndex: z.nullable(z.number()),
  timestamp: z.nullable(z.string()),
  timestampValue: z.nullable(z.string()),
  ageSeconds: z.nullable(z.number()),
});

/**
 * `verify --batch`: the result for each input line, numbered from 1, in input order, with the
 * line's own `id` when it gave one.
 */
export const verifyBatchResult = z.extend(verifyResult, {
  line: z.number(),
  id: z.optional(z.string()),
});

const base64Text = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A body as bytes in JSON: UTF-8 text, or base64 for anything else; one of them (the other
 * absent or null, as `log received show --json` prints it).
 */
const bodyFields = {
  body: z.optional(z.nullable(z.string())),
  bodyBase64: z.optional(
    z.nullable(z.string().check(z.refine((text) => base64Text.test(text), "not base64"))),
  ),
};

interface BodyFields {
  body?: string | null;
  bodyBase64?: string | null;
}

const given = (value: string | null | undefined) => value !== undefined && value !== null;

const notBoth = z.refine<BodyFields>(
  (value) => !(given(value.body) && given(value.bodyBase64)),
  'give "body" or "bodyBase64", not both',
);

/**
 * One input line of `verify --batch`: `{"headers", "body" | "bodyBase64", "id"?}`. A request
 * as `listen --json` or `log received show --json` prints it is such a line (other fields ignored).
 */
export const verifyBatchLine = z
  .object({
    /** Echoed in the line's result to match it up; null is the same as absent. */
    id: z.optional(z.nullable(z.string())),
    headers: headersInput,
    ...bodyFields,
  })
  .check(
    notBoth,
    z.refine<BodyFields>(
      (value) => given(value.body) || given(value.bodyBase64),
      'missing "body" (a string) or "bodyBase64"',
    ),
  );

/**
 * What `verify --headers-file` takes from a captured request (`log received show --json`):
 * its headers and, when no payload is given, its body. Other fields are ignored.
 */
export const capturedRequestInput = z
  .object({
    headers: headersInput,
    ...bodyFields,
  })
  .check(notBoth);

export type VerifyResultJson = z.infer<typeof verifyResult>;
export type VerifyBatchResultJson = z.infer<typeof verifyBatchResult>;
export type VerifyBatchLine = z.infer<typeof verifyBatchLine>;
export type CapturedRequestInput = z.infer<typeof capturedRequestInput>;
