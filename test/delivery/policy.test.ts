import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  baseDelay,
  decideNext,
  defaultPolicy,
  delayRange,
  effectiveFactor,
  isRejection,
  parseRetryAfter,
  type RetryPolicy,
  remainingMaxMs,
  retryDelay,
  schedule,
} from "../../src/delivery/policy.js";

const minute = 60_000;

const policyArb: fc.Arbitrary<RetryPolicy> = fc
  .record({
    retries: fc.integer({ min: 0, max: 30 }),
    initialMs: fc.integer({ min: 1, max: 60_000 }),
    extraMs: fc.integer({ min: 0, max: 24 * 3_600_000 }),
    factor: fc.option(fc.double({ min: 1, max: 10, noNaN: true }), { nil: null }),
    jitter: fc.double({ min: 0, max: 0.95, noNaN: true }),
  })
  .map(({ extraMs, ...rest }) => ({ ...rest, maxDelayMs: rest.initialMs + extraMs }));

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("retry policy: defaults from DESIGN.md", () => {
  it("waits 1 s before retry 1 and exactly the 60-minute cap before retry 10", () => {
    expect(baseDelay(defaultPolicy, 1)).toBe(1000);
    expect(baseDelay(defaultPolicy, 10)).toBeCloseTo(60 * minute, 3);
    expect(effectiveFactor(defaultPolicy)).toBeCloseTo(2.484, 3);
  });

  it("matches the documented schedule, about 100 minutes in all", () => {
    const rows = schedule(defaultPolicy);
    expect(rows).toHaveLength(10);
    const documented = [
      1000,
      2500,
      6200,
      15_000,
      38_000,
      95_000,
      3.9 * minute,
      9.7 * minute,
      24 * minute,
      60 * minute,
    ];
    rows.forEach((row, i) => {
      expect(row.baseMs / (documented[i] as number)).toBeCloseTo(1, 1);
    });
    expect((rows.at(-1) as (typeof rows)[number]).cumulativeMs / minute).toBeGreaterThan(95);
    expect((rows.at(-1) as (typeof rows)[number]).cumulativeMs / minute).toBeLessThan(105);
  });

  it("the first attempt is the only one before retries: retry 11 means dead", () => {
    const facts = { statusCode: 500, retryAfterMs: null, now: 0, random: () => 0.5 };
    expect(decideNext(defaultPolicy, { ...facts, attemptsMade: 10 }).status).toBe("pending");
    expect(decideNext(defaultPolicy, { ...facts, attemptsMade: 11 })).toEqual({
      status: "dead",
      reason: "exhausted",
    });
  });

  it("410 Gone is dead at once; 2xx succeeds; network errors retry", () => {
    const facts = { attemptsMade: 1, retryAfterMs: null, now: 0, random: () => 0.5 };
    expect(decideNext(defaultPolicy, { ...facts, statusCode: 410 })).toEqual({
      status: "dead",
      reason: "gone",
    });
    expect(decideNext(defaultPolicy, { ...facts, statusCode: 204 })).toEqual({ status: "succeeded" });
    expect(decideNext(defaultPolicy, { ...facts, statusCode: null })).toMatchObject({
      status: "pending",
      retry: 1,
    });
    expect(decideNext(defaultPolicy, { ...facts, statusCode: 301 })).toMatchObject({ status: "pending" });
  });

  it("reads Retry-After as seconds or an HTTP date, never negative", () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now - 30_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe("retry policy: properties", () => {
  it("every jittered delay lies within the jitter bounds and never above the cap", () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 30 }), unit, (policy, n, r) => {
        const delay = retryDelay(policy, n, () => r);
        const { minMs, maxMs } = delayRange(policy, n);
        expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(minMs));
        expect(delay).toBeLessThanOrEqual(Math.ceil(maxMs));
      }),
    );
  });

  it("the base delay never shrinks from one retry to the next", () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 29 }), (policy, n) => {
        expect(baseDelay(policy, n + 1)).toBeGreaterThanOrEqual(baseDelay(policy, n));
      }),
    );
  });

  it("with a derived factor, the last retry waits exactly the cap (before jitter)", () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        const derived = { ...policy, factor: null, retries: Math.max(2, policy.retries) };
        expect(baseDelay(derived, derived.retries) / derived.maxDelayMs).toBeCloseTo(1, 9);
      }),
    );
  });

  it("Retry-After never makes the next attempt earlier, and never pushes past the cap", () => {
    fc.assert(
      fc.property(
        policyArb.filter((p) => p.retries >= 1),
        fc.integer({ min: 0, max: 48 * 3_600_000 }),
        unit,
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        (policy, retryAfterMs, r, now) => {
          const base = { attemptsMade: 1, statusCode: 503, now, random: () => r };
          const without = decideNext(policy, { ...base, retryAfterMs: null });
          const withHeader = decideNext(policy, { ...base, retryAfterMs });
          if (without.status !== "pending" || withHeader.status !== "pending")
            throw new Error("expected pending");
          expect(withHeader.nextAttemptAt).toBeGreaterThanOrEqual(without.nextAttemptAt);
          expect(withHeader.delayMs).toBeLessThanOrEqual(Math.max(policy.maxDelayMs, without.delayMs));
          if (retryAfterMs <= policy.maxDelayMs)
            expect(withHeader.delayMs).toBeGreaterThanOrEqual(retryAfterMs);
        },
      ),
    );
  });

  it("410 is dead and 2xx succeeded whatever the policy and attempt count", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 200, max: 299 }),
        (policy, made, ok) => {
          const facts = { attemptsMade: made, retryAfterMs: null, now: 0, random: () => 0.5 };
          expect(decideNext(policy, { ...facts, statusCode: 410 })).toEqual({
            status: "dead",
            reason: "gone",
          });
          expect(decideNext(policy, { ...facts, statusCode: ok })).toEqual({ status: "succeeded" });
        },
      ),
    );
  });

  it("a failure is retried exactly `retries` times, then dead", () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        const facts = { statusCode: 500, retryAfterMs: null, now: 0, random: () => 0.5 };
        for (let made = 1; made <= policy.retries; made++) {
          expect(decideNext(policy, { ...facts, attemptsMade: made })).toMatchObject({
            status: "pending",
            retry: made,
          });
        }
        expect(decideNext(policy, { ...facts, attemptsMade: policy.retries + 1 }).status).toBe("dead");
      }),
    );
  });
});

describe("retry policy: which answers are worth retrying", () => {
  const facts = { attemptsMade: 1, retryAfterMs: null, now: 0, random: () => 0.5 };

  it("a 4xx that says the request is wrong is dead at once as rejected", () => {
    for (const statusCode of [400, 401, 403, 404, 405, 413, 415, 422, 451]) {
      expect(decideNext(defaultPolicy, { ...facts, statusCode })).toEqual({
        status: "dead",
        reason: "rejected",
      });
    }
  });

  it("network errors, timeouts, 408, 409, 423, 425, 429 and 5xx are retried", () => {
    for (const statusCode of [null, 408, 409, 423, 425, 429, 500, 502, 503, 504, 302]) {
      expect(decideNext(defaultPolicy, { ...facts, statusCode }).status).toBe("pending");
    }
  });

  it("410 stays gone, not rejected", () => {
    expect(isRejection(410)).toBe(false);
    expect(decideNext(defaultPolicy, { ...facts, statusCode: 410 })).toEqual({
      status: "dead",
      reason: "gone",
    });
    expect(decideNext({ ...defaultPolicy, retry4xx: true }, { ...facts, statusCode: 410 }).status).toBe(
      "dead",
    );
  });

  it("retry4xx retries rejections like any other failure, until the retries run out", () => {
    const policy = { ...defaultPolicy, retry4xx: true };
    expect(decideNext(policy, { ...facts, statusCode: 401 }).status).toBe("pending");
    expect(decideNext(policy, { ...facts, statusCode: 401, attemptsMade: 11 })).toEqual({
      status: "dead",
      reason: "exhausted",
    });
  });

  it("a rejection on the last retry is exhausted, as the log later reads it", () => {
    expect(decideNext(defaultPolicy, { ...facts, statusCode: 404, attemptsMade: 11 })).toEqual({
      status: "dead",
      reason: "exhausted",
    });
  });

  it("Retry-After is still honoured on a 429", () => {
    const decision = decideNext(defaultPolicy, { ...facts, statusCode: 429, retryAfterMs: 30_000 });
    expect(decision.status === "pending" && decision.delayMs).toBe(30_000);
  });

  it("remainingMaxMs adds the largest delays of the retries left", () => {
    const policy = {
      ...defaultPolicy,
      retries: 3,
      initialMs: 1000,
      maxDelayMs: 4000,
      factor: 2,
      jitter: 0.5,
    };
    // Retries 1..3 wait 1 s, 2 s, 4 s before jitter; +50 % capped at 4 s: 1.5 + 3 + 4.
    expect(remainingMaxMs(policy, 0)).toBe(8500);
    expect(remainingMaxMs(policy, 2)).toBe(4000);
    expect(remainingMaxMs(policy, 3)).toBe(0);
  });
});
