import { randomBytes, randomUUID } from "node:crypto";
import { createAttempt } from "../../src/delivery/attempt.js";
import type { RetryPolicy } from "../../src/delivery/policy.js";
import type { SchedulerDeps } from "../../src/delivery/scheduler.js";
import type { AttemptFn } from "../../src/delivery/types.js";
import { createEventWithDeliveries } from "../../src/store/deliveries.js";
import { newId } from "../../src/store/ids.js";
import { Leases } from "../../src/store/leases.js";
import type { Db } from "../../src/store/open.js";
import { SqliteEngineStore } from "../../src/store/sqlite-engine.js";

/**
 * A clock that only moves when the code under test sleeps: each sleep yields for a real
 * millisecond (so sockets and other connections get a turn) and then jumps to its deadline,
 * unless it was woken first.
 */
export function virtualClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  let busy = 0;
  return {
    now: () => t,
    set: (value: number) => {
      t = value;
    },
    sleep: async (ms: number, signal: AbortSignal): Promise<void> => {
      const target = t + ms;
      // Time stands still while an HTTP attempt runs: attempts take no virtual time.
      do await new Promise((resolve) => setTimeout(resolve, 1));
      while (busy > 0 && !signal.aborted);
      if (!signal.aborted) t = Math.max(t, target);
    },
    /** Count running attempts so sleeps wait for them. */
    track(attempt: AttemptFn): AttemptFn {
      return async (request, signal) => {
        busy++;
        try {
          return await attempt(request, signal);
        } finally {
          busy--;
        }
      };
    },
  };
}

/** Real time, for tests about other processes and real latency. */
export function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Scheduler dependencies over a real undici attempt; random 0.5 means no jitter. */
export function schedulerDeps(
  db: Db,
  clock: { now: () => number; sleep: SchedulerDeps["sleep"]; track?: (attempt: AttemptFn) => AttemptFn },
): SchedulerDeps {
  const attempt = createAttempt({ now: clock.now });
  return {
    store: new SqliteEngineStore(db),
    attempt: clock.track ? clock.track(attempt) : attempt,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    newToken: () => randomUUID(),
    randomHex: (bytes) => randomBytes(bytes).toString("hex"),
    userAgent: "hookctl-test",
  };
}

export interface SeedOptions {
  url: string;
  count?: number;
  now: number;
  policy?: Partial<RetryPolicy>;
  timeoutMs?: number;
  endpointId?: string | null;
  eventType?: string;
  secrets?: string[] | null;
  /** The delivery ids to use (then `count` is their number), e.g. ids that share a suffix. */
  ids?: string[];
}

/** Persist one event with `count` pending deliveries due at `now`; returns the delivery ids. */
export function seedDeliveries(db: Db, options: SeedOptions): string[] {
  const bytes = (size: number) => randomBytes(size);
  const ids =
    options.ids ?? Array.from({ length: options.count ?? 1 }, () => newId("dlv", options.now, bytes));
  createEventWithDeliveries(
    db,
    {
      id: newId("evt", options.now, bytes),
      type: options.eventType ?? "order.created",
      body: Buffer.from(JSON.stringify({ order: 42 })),
      contentType: "application/json",
      createdAt: options.now,
    },
    ids.map((id) => ({
      id,
      endpointId: options.endpointId ?? null,
      url: options.url,
      scheme: "hookctl",
      extraHeaders: {},
      secrets: options.secrets ?? null,
      policy: JSON.stringify(options.policy ?? {}),
      timeoutMs: options.timeoutMs ?? 2000,
    })),
    options.now,
  );
  return ids;
}

/** Claim a delivery and record one failed (500) attempt that ends it as `status`, as a scheduler would. */
export function finishDelivery(db: Db, id: string, status: "succeeded" | "dead", at: number): void {
  const leases = new Leases(db);
  const token = `finish-${id}-${at}`;
  const claimed = leases.claimById(id, { now: at, leaseMs: 1000, token });
  if (!claimed) throw new Error(`${id} is not pending`);
  const recorded = leases.complete(
    token,
    {
      deliveryId: id,
      number: claimed.attemptCount + 1,
      trigger: claimed.nextTrigger,
      url: claimed.url,
      requestHeaders: {},
      startedAt: at,
      durationMs: 5,
      statusCode: status === "succeeded" ? 200 : 500,
      responseHeaders: {},
      responseBody: null,
      responseTruncated: false,
      errorClass: status === "succeeded" ? null : "http",
      errorMessage: status === "succeeded" ? null : "HTTP 500",
    },
    { status },
    at,
  );
  if (!recorded) throw new Error(`could not complete ${id}`);
}
