import * as z from "zod/mini";

/** A point in time hookctl reports: ISO 8601 in UTC with milliseconds. */
export const instant = z.iso.datetime({ precision: 3 });

/** A duration in milliseconds, rounded to 0.001 ms. */
export const milliseconds = z.number().check(z.nonnegative());

export const deliveryStatus = z.enum(["pending", "in_flight", "succeeded", "dead"]);
export const attemptTrigger = z.enum(["initial", "scheduled", "manual"]);
export const errorClass = z.enum(["dns", "refused", "reset", "timeout", "tls", "http"]);

/**
 * A body as JSON carries it: `body` is the bytes as UTF-8 text when they are valid UTF-8,
 * otherwise `bodyBase64` carries them exactly; the other is null (both null: no body).
 */
export const bodyFields = {
  body: z.nullable(z.string()),
  bodyBase64: z.nullable(z.string()),
};

/**
 * How an https target's certificate is checked: `insecure` not at all (--insecure), `ca`
 * against CA certificates stored with it (--ca); both false: the system's trust store.
 */
export const tlsVerification = z.object({ insecure: z.boolean(), ca: z.boolean() });

/** The retry policy in effect, with the growth factor worked out (never null). */
export const retryPolicy = z.object({
  retries: z.int().check(z.nonnegative()),
  initialMs: milliseconds,
  maxDelayMs: milliseconds,
  factor: z.number(),
  jitter: z.number(),
  /** Whether 4xx rejections (400, 401, 403, 404, 422, …) are retried; false: dead at once. */
  retry4xx: z.boolean(),
});

/** An error as `--json` reports it on stderr: the line a person reads, split into its parts. */
export const errorReport = z.object({
  error: z.object({
    message: z.string(),
    hint: z.nullable(z.string()),
    exitCode: z.int(),
  }),
});

export type RetryPolicyJson = z.infer<typeof retryPolicy>;
export type TlsVerificationJson = z.infer<typeof tlsVerification>;
export type ErrorReportJson = z.infer<typeof errorReport>;
