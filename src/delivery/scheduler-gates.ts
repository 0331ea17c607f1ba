/** A token bucket: `take()` returns 0 when a token was taken, else the ms until one is available. */
export interface RateLimiter {
  take(): number;
}

/** What an endpoint row says about how hard it may be pushed. */
export interface EndpointLimits {
  id: string;
  name: string;
  /** At most this many attempts at once; null for no cap. */
  concurrency: number | null;
  /** Requests per second; null for no limit. */
  ratePerSecond: number | null;
}

interface Gate {
  limits: EndpointLimits;
  limiter: RateLimiter | null;
  running: number;
  blockedUntil: number;
}

export type Admission =
  | { ok: true; release: () => void }
  | { ok: false; reason: "cap" }
  | { ok: false; reason: "rate"; until: number; endpoint: EndpointLimits; newly: boolean };

const open: Admission = { ok: true, release: () => {} };

/**
 * Per-endpoint concurrency caps and token buckets for one scheduler. A delivery that may not go
 * yet is handed back (its lease released) and its endpoint is skipped by claims until it may:
 * waiting for a token is never an attempt and uses up no retries.
 */
export class EndpointGates {
  private readonly gates = new Map<string, Gate | null>();

  constructor(
    private readonly lookup: (endpointId: string) => EndpointLimits | undefined,
    private readonly limiterFor: ((ratePerSecond: number) => RateLimiter) | undefined,
  ) {}

  private gate(endpointId: string): Gate | null {
    let gate = this.gates.get(endpointId);
    if (gate === undefined) {
      const limits = this.lookup(endpointId);
      const limited = limits && (limits.concurrency !== null || limits.ratePerSecond !== null);
      gate = limited
        ? {
            limits,
            limiter:
              limits.ratePerSecond !== null && this.limiterFor ? this.limiterFor(limits.ratePerSecond) : null,
            running: 0,
            blockedUntil: 0,
          }
        : null;
      this.gates.set(endpointId, gate);
    }
    return gate;
  }

  /** May an attempt for this endpoint start now? On ok, call `release` when it has finished. */
  admit(endpointId: string | null, now: number): Admission {
    const gate = endpointId === null ? null : this.gate(endpointId);
    if (!gate) return open;
    const cap = gate.limits.concurrency;
    if (cap !== null && gate.running >= cap) return { ok: false, reason: "cap" };
    if (gate.blockedUntil > now) {
      return { ok: false, reason: "rate", until: gate.blockedUntil, endpoint: gate.limits, newly: false };
    }
    const waitMs = gate.limiter ? gate.limiter.take() : 0;
    if (waitMs > 0) {
      gate.blockedUntil = now + Math.ceil(waitMs);
      return { ok: false, reason: "rate", until: gate.blockedUntil, endpoint: gate.limits, newly: true };
    }
    gate.running++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (!released) gate.running--;
        released = true;
      },
    };
  }

  /** Endpoints that claims should skip right now: at their cap, or waiting for a token. */
  blocked(now: number): string[] {
    const ids: string[] = [];
    for (const [id, gate] of this.gates) {
      if (!gate) continue;
      const cap = gate.limits.concurrency;
      if ((cap !== null && gate.running >= cap) || gate.blockedUntil > now) ids.push(id);
    }
    return ids;
  }

  /** When the earliest rate-limited endpoint may go again. */
  nextUnblock(now: number): number | null {
    let next: number | null = null;
    for (const gate of this.gates.values()) {
      if (gate && gate.blockedUntil > now && (next === null || gate.blockedUntil < next)) {
        next = gate.blockedUntil;
      }
    }
    return next;
  }
}
