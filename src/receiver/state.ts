import { EventEmitter } from "node:events";
import type { Dispatcher } from "undici";
import type { IdFactory } from "../store/ids.js";
import type { AuthOptions } from "./authenticate.js";
import { DeliveryTracker } from "./deliveries.js";
import type { forwardRequest } from "./forward.js";
import type { CaptureSink, FailureOptions, ReceiverEvents, ReceiverSummary } from "./types.js";

/** Options with every default filled in. */
export interface ResolvedOptions {
  host: string;
  port: number;
  /** Only this path is accepted (others get 404); null: any path. */
  path: string | null;
  auth: AuthOptions;
  failure: FailureOptions;
  forwardTo: string | null;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConcurrent: number;
  forwardTimeoutMs: number;
}

/** The mutable state one running receiver shares between its server and request handler. */
export class ReceiverState {
  readonly events = new EventEmitter<ReceiverEvents>();
  readonly tracker: DeliveryTracker;
  readonly counts: Omit<ReceiverSummary, "accepted"> = {
    received: 0,
    verified: 0,
    rejected: 0,
    unverified: 0,
    duplicates: 0,
    injectedFailures: 0,
    forwarded: 0,
    forwardErrors: 0,
    refused: 0,
  };
  /** Loaded only with --forward-to: undici stays out of a plain receiver's start-up. */
  forward: typeof forwardRequest | null = null;
  /** Settles once the last relayed request handed over is done with the app (forwarded or not). */
  relayedForwardTail: Promise<void> = Promise.resolve();
  /** Settles once the last relayed request handed over has submitted its capture. */
  relayedTail: Promise<void> = Promise.resolve();
  active = 0;
  closing = false;
  /** Pending --delay waits, ended early on close so shutdown never waits out a long delay. */
  readonly delays = new Set<() => void>();
  #idle: (() => void) | null = null;

  constructor(
    readonly options: ResolvedOptions,
    readonly now: () => number,
    readonly random: () => number,
    readonly ids: IdFactory,
    readonly monotonic: () => number,
    readonly capture: CaptureSink | undefined,
    readonly dispatcher: Dispatcher | undefined,
    dedupeCapacity: number,
  ) {
    this.tracker = new DeliveryTracker(dedupeCapacity);
  }

  summary(): ReceiverSummary {
    return { ...this.counts, accepted: this.tracker.acceptedCount };
  }

  /** Wait `ms`, or less if the receiver starts closing. */
  delay(ms: number): Promise<void> {
    if (ms <= 0 || this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.delays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.delays.add(done);
    });
  }

  /** Aborted when the receiver starts closing: relayed requests stop waiting for the app. */
  readonly #stopping = new AbortController();

  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  beginClosing(): void {
    this.closing = true;
    this.#stopping.abort();
  }

  enter(): void {
    this.active += 1;
  }

  leave(): void {
    this.active -= 1;
    if (this.active === 0 && this.#idle) this.#idle();
  }

  /** Resolves when no request is being handled. */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = () => {
        this.#idle = null;
        resolve();
      };
    });
  }
}
