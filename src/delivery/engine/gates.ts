import type { EndpointLimits } from "../../store/engine-port.js";

export type { EndpointLimits } from "../../store/engine-port.js";

/** A token bucket: `take()` returns 0 when a token was taken, else the ms until one is available. */
export interface RateLimiter {
  take(): number;
}

interface Gate {
  limits: EndpointLimits;
  limiter: RateLimiter | null;
  running: number;
  blockedUntil: number;
}

/** A refusal names its gate: the endpoint's id, or "*" for the run's own limit. */
export type Admission =
  | { ok: true; release: () => void }
  | { ok: false; gate: string; reason: "cap" }
  | { ok: false; gate: string; reason: "rate"; until: number; endpoint: EndpointLimits; newly: boolean };

const open: Admission = { ok: true, release: () => {} };

/**
 * Per-endpoint concurrency caps and token buckets for one engine, plus an optional limit on the
 * whole run (`send --rate`). A delivery that may not go yet waits, still leased, and its endpoint
 * is skipped by claims until it may: waiting for a token is never an attempt and uses up no retries.
 */
export class EndpointGates {
  private readonly gates = new Map<string, Gate | null>();
  /** The run's own limit, keyed "*", checked before the endpoint's. */
  private readonly everyone: Gate | null;

  constructor(
    private readonly limiterFor: ((ratePerSecond: number) => RateLimiter) | undefined,
    runRate?: number | null,
  ) {
    this.everyone = runRate
      ? this.gateFor({ id: "*", name: "this run", concurrency: null, ratePerSecond: runRate })
      : null;
  }

  /** Whether the endpoint's limits are known (`learn` them first: they come from the log). */
  knows(endpointId: string): boolean {
    return this.gates.has(endpointId);
  }

  learn(endpointId: string, limits: EndpointLimits | undefined): void {
    const limited = limits && (limits.concurrency !== null || limits.ratePerSecond !== null);
    this.gates.set(endpointId, limited ? this.gateFor(limits) : null);
  }

  private gateFor(limits: EndpointLimits): Gate {
    return {
      limits,
      limiter:
        limits.ratePerSecond !== null && this.limiterFor ? this.limiterFor(limits.ratePerSecond) : null,
      running: 0,
      blockedUntil: 0,
    };
  }

  /** Nothing may start before this time, whatever its endpoint (the run's own rate). */
  runBlockedUntil(now: number): number | null {
    return this.everyone && this.everyone.blockedUntil > now ? this.everyone.blockedUntil : null;
  }

  /** May an attempt for this endpoint start now? On ok, call `release` when it has finished. */
  admit(endpointId: string | null, now: number): Admission {
    if (this.everyone) {
      const run = this.pass(this.everyone, now);
      if (!run.ok) return run;
    }
    const gate = endpointId === null ? null : (this.gates.get(endpointId) ?? null);
    if (!gate) return open;
    return this.pass(gate, now);
  }

  private pass(gate: Gate, now: number): Admission {
    const cap = gate.limits.concurrency;
    const key = gate.limits.id;
    if (cap !== null && gate.running >= cap) return { ok: false, gate: key, reason: "cap" };
    const waiting = (newly: boolean): Admission => ({
      ok: false,
      gate: key,
      reason: "rate",
      until: gate.blockedUntil,
      endpoint: gate.limits,
      newly,
    });
    if (gate.blockedUntil > now) return waiting(false);
    const waitMs = gate.limiter ? gate.limiter.take() : 0;
    if (waitMs > 0) {
      gate.blockedUntil = now + Math.ceil(waitMs);
      return waiting(true);
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

  /** Whether the gate (an endpoint id, or "*" for the run) admits nothing right now. */
  isBlocked(key: string, now: number): boolean {
    const gate = key === "*" ? this.everyone : this.gates.get(key);
    if (!gate) return false;
    const cap = gate.limits.concurrency;
    return (cap !== null && gate.running >= cap) || gate.blockedUntil > now;
  }

  /** Endpoints that claims should skip right now: at their cap, or waiting for a token. */
  blocked(now: number): string[] {
    const ids: string[] = [];
    for (const id of this.gates.keys()) if (this.isBlocked(id, now)) ids.push(id);
    return ids;
  }

  /** When the earliest rate-limited endpoint (or the run) may go again. */
  nextUnblock(now: number): number | null {
    let next: number | null = null;
    for (const gate of [this.everyone, ...this.gates.values()]) {
      if (gate && gate.blockedUntil > now && (next === null || gate.blockedUntil < next)) {
        next = gate.blockedUntil;
      }
    }
    return next;
  }
}
