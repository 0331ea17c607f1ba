import type { Db } from "../store/open.js";
import type { RetryPolicy } from "./policy.js";
import type { SchedulerEvent } from "./scheduler-events.js";
import type { RateLimiter } from "./scheduler-gates.js";
import type { AttemptFn } from "./types.js";

/** Everything with a side effect the scheduler touches; tests pass a fake clock and sleep. */
export interface SchedulerDeps {
  db: Db;
  attempt: AttemptFn;
  /** Milliseconds since the epoch: claims, schedules and leases are all judged by it. */
  now: () => number;
  /** Resolve after `ms`, or as soon as `signal` aborts (it must not reject). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** A fresh, unguessable lease token per claim. */
  newToken: () => string;
  randomHex: (bytes: number) => string;
  userAgent: string;
  /** Token buckets for endpoints with a rate; without it rates are not enforced. */
  rateLimiter?: (ratePerSecond: number) => RateLimiter;
}

export interface SchedulerOptions {
  /** Attempts running at once (default 8). */
  concurrency?: number;
  /** Keep running when nothing is left, picking up work other processes add. */
  watch?: boolean;
  /** Policy fields that override the one recorded with each delivery. */
  policy?: Partial<RetryPolicy>;
  /** Only these deliveries (a requeued set); the whole log when absent. */
  scope?: readonly string[];
  /** A lease lasts the delivery's timeout plus this (default 5 s). */
  leaseMarginMs?: number;
  /** How often watch mode looks for new work (default 1 s). */
  pollMs?: number;
  /**
   * Attempt only deliveries due by this time (`replay --due`), then return: retries they
   * schedule for later stay scheduled, and other processes' in-flight work is not waited for.
   */
  dueBy?: number;
  /** Stop claiming at this time and return once running attempts finish (`replay --for`). */
  stopAt?: number;
  signal?: AbortSignal;
  onEvent?: (event: SchedulerEvent) => void;
}
