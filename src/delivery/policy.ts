import { storedPolicy } from "../contract/schema/stored.js";
import { parseStoredJson } from "../store/stored-json.js";
/**
 * The retry policy: pure functions of a policy, an attempt's result, a time and a random draw.
 * Defaults (DESIGN.md): first attempt immediate, 10 retries, 1 s growing to a 60-minute cap with
 * the factor chosen so that the last retry waits exactly the cap, jitter ±20 %.
 */
export interface RetryPolicy {
  retries: number;
  initialMs: number;
  maxDelayMs: number;
  /** Growth per retry; null derives it so that retry `retries` waits exactly `maxDelayMs`. */
  factor: number | null;
  /** Jitter fraction j: each delay is multiplied by a factor drawn from [1 - j, 1 + j]. */
  jitter: number;
  /**
   * Also retry the 4xx answers that say the request itself is wrong (see {@link isRejection});
   * by default such a delivery is dead at once.
   */
  retry4xx?: boolean;
}

export const defaultPolicy: RetryPolicy = {
  retries: 10,
  initialMs: 1000,
  maxDelayMs: 60 * 60 * 1000,
  factor: null,
  jitter: 0.2,
  retry4xx: false,
};

/**
 * 4xx answers worth another try: the receiver timed out reading (408), was busy with the same
 * thing (409, 423), asked for a later replay (425) or for less traffic (429).
 */
export const retryable4xx: readonly number[] = [408, 409, 423, 425, 429];

/**
 * A 4xx that says the request itself is wrong (400, 401, 403, 404, 405, 413, 415, 422, …): the
 * same request, signed the same way, fails the same way on every retry. 410 is `gone`, not this.
 */
export function isRejection(statusCode: number | null): boolean {
  return (
    statusCode !== null &&
    statusCode >= 400 &&
    statusCode < 500 &&
    statusCode !== 410 &&
    !retryable4xx.includes(statusCode)
  );
}

export function effectiveFactor(policy: RetryPolicy): number {
  if (policy.factor !== null) return policy.factor;
  if (policy.retries <= 1 || policy.maxDelayMs <= policy.initialMs) return 1;
  return (policy.maxDelayMs / policy.initialMs) ** (1 / (policy.retries - 1));
}

/** The delay before retry `n` (1-based) before jitter. */
export function baseDelay(policy: RetryPolicy, n: number): number {
  return Math.min(policy.maxDelayMs, policy.initialMs * effectiveFactor(policy) ** (n - 1));
}

/** The bounds the jittered delay before retry `n` falls in. */
export function delayRange(policy: RetryPolicy, n: number): { minMs: number; maxMs: number } {
  const base = baseDelay(policy, n);
  return {
    minMs: Math.min(policy.maxDelayMs, base * (1 - policy.jitter)),
    maxMs: Math.min(policy.maxDelayMs, base * (1 + policy.jitter)),
  };
}

/** The jittered delay before retry `n`; `random` returns a number in [0, 1). */
export function retryDelay(policy: RetryPolicy, n: number, random: () => number): number {
  const factor = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.round(Math.min(policy.maxDelayMs, baseDelay(policy, n) * factor));
}

export interface ScheduleRow {
  retry: number;
  baseMs: number;
  minMs: number;
  maxMs: number;
  /** Sum of base delays up to and including this retry. */
  cumulativeMs: number;
}

/** Every retry the policy allows, for `hookctl backoff` and the docs. */
export function schedule(policy: RetryPolicy): ScheduleRow[] {
  const rows: ScheduleRow[] = [];
  let cumulativeMs = 0;
  for (let retry = 1; retry <= policy.retries; retry++) {
    const baseMs = baseDelay(policy, retry);
    cumulativeMs += baseMs;
    rows.push({ retry, baseMs, ...delayRange(policy, retry), cumulativeMs });
  }
  return rows;
}

/**
 * The longest a pending delivery can still take after its next attempt if every attempt fails:
 * the largest jittered delays of the retries left. `scheduleAttempts`: attempts already made in
 * this schedule (the next attempt is retry `scheduleAttempts`, or the first attempt at 0).
 */
export function remainingMaxMs(policy: RetryPolicy, scheduleAttempts: number): number {
  let total = 0;
  for (let retry = scheduleAttempts + 1; retry <= policy.retries; retry++)
    total += delayRange(policy, retry).maxMs;
  return total;
}

export type Decision =
  | { status: "succeeded" }
  | { status: "pending"; nextAttemptAt: number; retry: number; delayMs: number }
  | { status: "dead"; reason: DeadReason };

/** gone: 410; exhausted: every retry used; rejected: a 4xx that retrying cannot fix. */
export type DeadReason = "gone" | "exhausted" | "rejected";

export interface AttemptFacts {
  /** Attempts made in the current schedule, including the one just finished. */
  attemptsMade: number;
  statusCode: number | null;
  /** From a Retry-After header, already turned into a delay; null if absent. */
  retryAfterMs: number | null;
  now: number;
  random: () => number;
}

/**
 * What happens after an attempt: 2xx succeeds; 410 Gone is dead at once; otherwise the next
 * retry, unless all retries are used or the answer is a rejection (a 4xx that retrying cannot
 * fix, unless the policy says `retry4xx`). Network errors, timeouts, 408, 409, 423, 425, 429,
 * 5xx and anything else are retried. Retry-After can only push the retry later, up to the cap.
 */
export function decideNext(policy: RetryPolicy, facts: AttemptFacts): Decision {
  const code = facts.statusCode;
  if (code !== null && code >= 200 && code < 300) return { status: "succeeded" };
  if (code === 410) return { status: "dead", reason: "gone" };
  const retry = facts.attemptsMade;
  if (retry > policy.retries) return { status: "dead", reason: "exhausted" };
  if (isRejection(code) && policy.retry4xx !== true) return { status: "dead", reason: "rejected" };
  let delayMs = retryDelay(policy, retry, facts.random);
  if (facts.retryAfterMs !== null && facts.retryAfterMs > delayMs) {
    delayMs = Math.max(delayMs, Math.min(policy.maxDelayMs, facts.retryAfterMs));
  }
  return { status: "pending", nextAttemptAt: facts.now + delayMs, retry, delayMs };
}

/** Retry-After as delta-seconds or an HTTP date, in ms from `now`; null if absent or unreadable. */
export function parseRetryAfter(value: string | undefined | null, now: number): number | null {
  if (value === undefined || value === null || value.trim() === "") return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Validate a policy (from flags, an endpoint or the log); returns a reason when it is unusable. */
export function policyProblem(policy: RetryPolicy): string | undefined {
  if (!Number.isInteger(policy.retries) || policy.retries < 0 || policy.retries > 100) {
    return "retries must be a whole number from 0 to 100";
  }
  if (!(policy.initialMs > 0)) return "the initial delay must be above 0";
  if (!(policy.maxDelayMs >= policy.initialMs)) return "the maximum delay must be at least the initial delay";
  if (policy.factor !== null && !(policy.factor >= 1)) return "the factor must be at least 1";
  if (!(policy.jitter >= 0 && policy.jitter < 1)) return "jitter must be from 0 to below 1";
  return undefined;
}

/** Overlay the fields that are set (flags over endpoint settings over defaults). */
export function mergePolicy(
  base: RetryPolicy,
  override: Partial<RetryPolicy> | null | undefined,
): RetryPolicy {
  const merged = { ...base };
  for (const [key, value] of Object.entries(override ?? {})) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

let lastPolicy: { json: string; policy: RetryPolicy } | undefined;

/**
 * A policy stored with a delivery or endpoint, checked (a damaged row is named, not cast).
 * Thousands of deliveries of one run share one policy text: the last one is remembered.
 */
export function parsePolicy(json: string | null | undefined, where = "a stored retry policy"): RetryPolicy {
  if (!json) return { ...defaultPolicy };
  if (lastPolicy?.json !== json) {
    lastPolicy = { json, policy: mergePolicy(defaultPolicy, parseStoredJson(storedPolicy, json, where)) };
  }
  return { ...lastPolicy.policy };
}
