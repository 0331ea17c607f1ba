import { randomBytes } from "node:crypto";
import { Engine, type EngineDeps, type EngineOptions } from "../../src/delivery/engine/engine.js";
import { LogSource } from "../../src/delivery/engine/log-source.js";
import { TokenBucket } from "../../src/delivery/rate-limit.js";
import type { AttemptFn, AttemptOutcome } from "../../src/delivery/types.js";
import type { EngineStore, ExchangeRequest, ExchangeResult } from "../../src/store/engine-port.js";
import type { AttemptRecord } from "../../src/store/types.js";

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/**
 * Discrete virtual time for engine tests: the clock jumps to the earliest pending sleep only
 * once nothing else can run (no microtask queued, no `busy` call outstanding, not `hold`ing),
 * so every instant the engine sees is one it asked to wake at. `hold` stops time so a test can
 * act on the log between two of the engine's steps; `advance` then moves it by hand.
 * A code that keeps sleeping until a time already past would stop this clock for good: after
 * `spinLimit` wake-ups at one instant it moves 1 ms on (as real time would) and counts a spin.
 */
export function discreteClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  let seq = 0;
  let holds = 0;
  let busy = 0;
  let kicked = false;
  let firedAt = t;
  let firedHere = 0;
  let spins = 0;
  const spinLimit = 1000;
  const timers: Timer[] = [];
  const earliest = (): Timer | undefined => {
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return timers[0];
  };
  const fireNext = () => {
    const next = timers.shift() as Timer;
    t = Math.max(t, next.at);
    firedHere = t === firedAt ? firedHere + 1 : 0;
    firedAt = t;
    if (firedHere >= spinLimit) {
      spins++;
      t++;
    }
    next.fire();
  };
  // setImmediate runs after every queued microtask: the engine is waiting on a timer by then.
  const kick = () => {
    if (kicked) return;
    kicked = true;
    setImmediate(() => {
      kicked = false;
      if (holds > 0 || timers.length === 0) return;
      if (busy > 0) return kick();
      earliest();
      fireNext();
      kick();
    });
  };
  const settle = async () => {
    do await new Promise((resolve) => setImmediate(resolve));
    while (busy > 0);
  };
  return {
    now: () => t,
    /** Busy loops caught: the code woke `spinLimit` times at one instant (see above). */
    spins: () => spins,
    sleep: (ms: number, signal?: AbortSignal): Promise<void> =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const onAbort = () => {
          const i = timers.indexOf(timer);
          if (i >= 0) timers.splice(i, 1);
          resolve();
        };
        const timer: Timer = {
          at: t + Math.max(0, ms),
          seq: seq++,
          fire: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        timers.push(timer);
        kick();
      }),
    /** Stop time until `release`. */
    hold: () => {
      holds++;
    },
    release: () => {
      holds--;
      kick();
    },
    /** While held: fire every sleep due within `ms`, in order, letting the code run between them. */
    advance: async (ms: number) => {
      const target = t + ms;
      for (;;) {
        await settle();
        const next = earliest();
        if (!next || next.at > target) break;
        fireNext();
      }
      t = target;
      await settle();
    },
    /** Wrap a call that resolves on a later turn: time stands still until it has. */
    async busy<T>(call: () => Promise<T>): Promise<T> {
      busy++;
      try {
        return await call();
      } finally {
        busy--;
      }
    },
  };
}

export type DiscreteClock = ReturnType<typeof discreteClock>;

/** What the fake receiver answers: a status after some virtual time, or when the test says. */
export type Answer = { status: number; ms: number } | { later: Promise<number> };

export interface AttemptCall {
  deliveryId: string;
  /** Calls for this delivery so far, from 1. */
  n: number;
  startedAt: number;
  finishedAt?: number;
}

/**
 * An AttemptFn without a network: each call is answered as `answer` says, taking virtual time,
 * and recorded; `maxOverlap` is the most calls for one delivery ever running at once.
 */
export function fakeAttempts(clock: DiscreteClock, answer: (deliveryId: string, n: number) => Answer) {
  const calls: AttemptCall[] = [];
  const running = new Map<string, number>();
  let maxOverlap = 0;
  const attempt: AttemptFn = async (request) => {
    const deliveryId = request.headers["X-Webhook-Delivery-ID"] as string;
    const call: AttemptCall = {
      deliveryId,
      n: calls.filter((c) => c.deliveryId === deliveryId).length + 1,
      startedAt: clock.now(),
    };
    calls.push(call);
    running.set(deliveryId, (running.get(deliveryId) ?? 0) + 1);
    maxOverlap = Math.max(maxOverlap, running.get(deliveryId) as number);
    const reply = answer(deliveryId, call.n);
    let status: number;
    if ("later" in reply) status = await reply.later;
    else {
      await clock.sleep(reply.ms);
      status = reply.status;
    }
    call.finishedAt = clock.now();
    running.set(deliveryId, (running.get(deliveryId) as number) - 1);
    return attemptOutcome(status, call.startedAt, call.finishedAt - call.startedAt);
  };
  return {
    attempt,
    calls,
    maxOverlap: () => maxOverlap,
    ids: () => new Set(calls.map((c) => c.deliveryId)),
  };
}

/** Fake attempts where the `gated` deliveries finish only when the test calls `finish`; others take 1 ms. */
export function gatedAttempts(clock: DiscreteClock, gated: readonly string[]) {
  const gates = new Map(
    gated.map((id) => {
      let finish: (status: number) => void = () => {};
      const later = new Promise<number>((resolve) => {
        finish = resolve;
      });
      return [id, { later, finish }] as const;
    }),
  );
  const fake = fakeAttempts(clock, (id) => {
    const gate = gates.get(id);
    return gate ? { later: gate.later } : { status: 200, ms: 1 };
  });
  return {
    ...fake,
    finishAll: (status = 200) => {
      for (const gate of gates.values()) gate.finish(status);
    },
  };
}

/** What a fake receiver's answer comes to: 2xx succeeds, anything else is an HTTP error. */
export function attemptOutcome(status: number, startedAt: number, durationMs: number): AttemptOutcome {
  return {
    startedAt,
    durationMs,
    statusCode: status,
    responseHeaders: {},
    responseBody: null,
    responseTruncated: false,
    errorClass: status < 300 ? null : "http",
    errorMessage: status < 300 ? null : `HTTP ${status}`,
  };
}

/** An attempt record as an engine would write it, for tests that drive the port by hand. */
export function attemptRecord(deliveryId: string, status: number, startedAt: number): AttemptRecord {
  return {
    deliveryId,
    number: 1,
    trigger: "initial",
    url: "http://127.0.0.1:9/",
    requestHeaders: {},
    ...attemptOutcome(status, startedAt, 5),
  };
}

export interface ExchangeLog {
  /** The request's `now`: when the batch was committed. */
  at: number;
  completions: { deliveryId: string; finishedAt: number }[];
  recorded: boolean[];
  releases: string[];
  claimToken: string | undefined;
  claimed: string[];
}

/**
 * An EngineStore that records every call of the one it wraps. `delay` "turn": every call (and
 * its answer) takes a turn of the event loop; a number: every call reaches the store that many
 * virtual ms after it was made, in order, as over a network.
 */
export class RecordingStore implements EngineStore {
  readonly exchanges: ExchangeLog[] = [];
  readonly renewals: { at: number; tokens: string[]; kept: string[] }[] = [];
  /** Called as each exchange reaches the store, before it writes anything. */
  onExchange: ((request: ExchangeRequest) => void) | undefined;
  /** Called as each renewal reaches the store, before it extends anything. */
  onRenew: (() => void) | undefined;

  constructor(
    private readonly inner: EngineStore,
    private readonly clock: DiscreteClock,
    private readonly delay: "turn" | number = 0,
  ) {}

  private call<T>(run: () => Promise<T>): Promise<T> {
    if (typeof this.delay === "number") {
      return this.delay === 0 ? run() : this.clock.sleep(this.delay).then(run);
    }
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    return this.clock.busy(async () => {
      await turn();
      const value = await run();
      await turn();
      return value;
    });
  }

  exchange(request: ExchangeRequest): Promise<ExchangeResult> {
    return this.call(async () => {
      this.onExchange?.(request);
      const result = await this.inner.exchange(request);
      this.exchanges.push({
        at: request.now,
        completions: request.completions.map((c) => ({
          deliveryId: c.attempt.deliveryId,
          finishedAt: c.attempt.startedAt + c.attempt.durationMs,
        })),
        recorded: result.recorded,
        releases: request.releases.map((r) => r.id),
        claimToken: request.claim?.token,
        claimed: result.work.map((w) => w.delivery.id),
      });
      return result;
    });
  }

  renew(tokens: readonly string[], now: number, marginMs: number): Promise<string[]> {
    return this.call(async () => {
      this.onRenew?.();
      const kept = await this.inner.renew(tokens, now, marginMs);
      this.renewals.push({ at: now, tokens: [...tokens], kept });
      return kept;
    });
  }

  reclaimExpired(...args: Parameters<EngineStore["reclaimExpired"]>) {
    return this.call(() => this.inner.reclaimExpired(...args));
  }

  outlook(...args: Parameters<EngineStore["outlook"]>) {
    return this.call(() => this.inner.outlook(...args));
  }

  pendingCount(...args: Parameters<EngineStore["pendingCount"]>) {
    return this.call(() => this.inner.pendingCount(...args));
  }

  endpointLimits(...args: Parameters<EngineStore["endpointLimits"]>) {
    return this.call(() => this.inner.endpointLimits(...args));
  }

  /** How often each delivery was claimed, over the whole run. */
  claimCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.exchanges) for (const id of e.claimed) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  }
}

/** Engine dependencies over a store, the discrete clock and a fake attempt. */
export function engineDeps(store: EngineStore, clock: DiscreteClock, attempt: AttemptFn): EngineDeps {
  let tokens = 0;
  return {
    store,
    attempt,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    newToken: () => `engine-${++tokens}`,
    randomHex: (bytes) => randomBytes(bytes).toString("hex"),
    userAgent: "hookctl-test",
  };
}

/** An engine over `store`'s due deliveries on the discrete clock; `rateLimited` enforces endpoint rates. */
export function runEngine(
  store: EngineStore,
  clock: DiscreteClock,
  attempt: AttemptFn,
  options: EngineOptions & { rateLimited?: boolean } = {},
) {
  const { rateLimited, ...rest } = options;
  const deps = engineDeps(store, clock, attempt);
  if (rateLimited) deps.rateLimiter = (ratePerSecond) => new TokenBucket({ ratePerSecond, now: clock.now });
  return new Engine(deps, new LogSource(store), rest).run();
}
