import type { Dispatcher } from "undici";
import type { SchemeName } from "../signing/types.js";
import type { IdFactory } from "../store/ids.js";
import type { ReceivedRecord } from "../store/received.js";
import type { RelayedHandling, RelayedInput } from "./relayed.js";

/** How injected failures behave. Injection only ever touches authentic, not-yet-accepted requests. */
export interface FailureOptions {
  /** Probability in [0, 1] that an attempt fails (drawn from the seeded `random`). */
  rate?: number;
  /** Fail attempts 1..N of each delivery id; attempt N+1 succeeds. */
  first?: number;
  /** Status of an injected failure (default 503). */
  status?: number;
  /** Close the connection without a response instead of answering `status`. */
  drop?: boolean;
  /** Sent as `Retry-After` (seconds) on injected failures. */
  retryAfterSeconds?: number;
  /** Wait this long before answering (or dropping) an authentic, new request. */
  delayMs?: number;
}

export interface ReceiverLimits {
  /** Larger bodies get 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** Time a client has to send the request headers (default 10 s); then 408. */
  headersTimeoutMs?: number;
  /** Time a client has to send the whole request (default 30 s); then 408. */
  requestTimeoutMs?: number;
  /** Requests handled at once; more get 503 with `Retry-After: 1` (default 256). */
  maxConcurrent?: number;
  /** How long the app behind --forward-to may take to answer (default 30 s); then 504. */
  forwardTimeoutMs?: number;
}

export interface ReceiverOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The one path webhooks arrive on, other paths getting 404; absent or null: any path. */
  path?: string | null;
  /** No secrets: every request is accepted and reported as unverified. */
  secrets?: readonly string[];
  scheme?: SchemeName | "auto";
  toleranceSeconds?: number;
  failure?: FailureOptions;
  /** Relay authentic requests byte for byte to this URL and answer with the app's response. */
  forwardTo?: string;
  limits?: ReceiverLimits;
  /** Delivery ids remembered for dedupe; the oldest are forgotten past this (default 100,000). */
  dedupeCapacity?: number;
}

/**
 * Where captured requests go: the log, with group commit (createCaptureThread for `listen`,
 * createBatchedCapture on the caller's own connection). A 2xx that claims a capture is sent only
 * after `write` resolved.
 */
export interface CaptureSink {
  /**
   * Resolves once the record is committed; rejects (a CaptureError, one line) when it cannot be.
   * With `cursor` (a relayed request), the relay cursor advances in the same transaction.
   */
  write(record: ReceivedRecord, cursor?: CursorMark): Promise<void>;
  /** Resolves once every write so far has been committed or has failed; awaited on close. */
  flush(): Promise<void>;
}

/**
 * How far `listen --from` has captured a relay channel, committed with the request it names: a
 * listener killed at any point resumes after the last request in its log, not before or past it.
 */
export interface CursorMark {
  /** The relay channel's URL without credentials (see relayCursorSource). */
  source: string;
  seq: number;
  /**
   * The seq the previous write named (or the cursor resumed from): the cursor only moves on from
   * there, so a later batch committing after a failed one cannot skip the failed requests.
   * Null: no previous (resuming after the relay's own acknowledged seq).
   */
  previous: number | null;
  at: number;
}

/** Everything with a side effect the caller (or a test) controls. */
export interface ReceiverDeps {
  /** Milliseconds since the epoch (timestamps, signature tolerance). */
  now?: () => number;
  /** Uniform [0, 1); seed it (see `mulberry32`) for reproducible --fail-rate runs. */
  random?: () => number;
  /** Ids for captured requests (`rcv_…`). */
  ids?: IdFactory;
  capture?: CaptureSink;
  /** undici dispatcher for --forward-to; undici's global one when absent. */
  dispatcher?: Dispatcher;
  /** Monotonic milliseconds for durations (default performance.now). */
  monotonic?: () => number;
}

export type VerificationStatus = "verified" | "invalid" | "unverified";

export interface Verification {
  status: VerificationStatus;
  scheme: SchemeName | null;
  /** Why it is invalid (or, for unverified, why nothing was checked). */
  reason: string | null;
  /** Which secret matched (0-based), for verified requests. */
  secretIndex: number | null;
}

/** An injected failure; `label` (`fail-first 1/2 503`, `fail-rate drop`) is what the log and screen show. */
export type Injection =
  | { kind: "status"; status: number; cause: "fail-first" | "fail-rate"; attempt: number; label: string }
  | { kind: "drop"; cause: "fail-first" | "fail-rate"; attempt: number; label: string };

export interface ForwardResult {
  url: string;
  /** The app's status, or null when it could not be reached. */
  status: number | null;
  durationMs: number;
  error: string | null;
  /** The app's response headers and body as relayed (empty when unreachable). */
  headers: [string, string][];
  body: Buffer;
}

/** What the receiver did with one request, emitted after the answer went out. */
export interface RequestEvent {
  /**
   * Capture id, or null when not captured. A 2xx that is not a duplicate was committed before it
   * was sent; other answers do not wait for their row, whose write may still fail.
   */
  id: string | null;
  receivedAt: number;
  method: string;
  /** Path and query as requested. */
  path: string;
  /** Raw header pairs in arrival order and case. */
  headers: [string, string][];
  body: Buffer;
  deliveryId: string | null;
  eventType: string | null;
  verification: Verification;
  /** A repeat of a delivery id already answered 2xx: answered 2xx again, counted once. */
  duplicate: boolean;
  /** Attempt number of this delivery id at this receiver (null without an id). */
  attempt: number | null;
  injected: Injection | null;
  /** The status sent, or null when the connection was dropped. */
  status: number | null;
  /** Why the receiver itself refused it (404, 413, busy, not captured), if it did. */
  refused: string | null;
  forward: ForwardResult | null;
  durationMs: number;
}

/** A malformed or too-slow request that never reached a handler. */
export interface ClientErrorEvent {
  at: number;
  status: number | null;
  reason: string;
}

export interface ReceiverEvents {
  request: [RequestEvent];
  "client-error": [ClientErrorEvent];
  /**
   * A capture could not be committed (log locked past the busy timeout, disk full): a request
   * that would have been answered 2xx got 503 instead; other answers (401, 404, duplicates) stand.
   */
  "capture-error": [Error];
}

/** Counts since start. `received` leaves duplicates out: a repeat is not counted again. */
export interface ReceiverSummary {
  received: number;
  verified: number;
  rejected: number;
  unverified: number;
  duplicates: number;
  injectedFailures: number;
  /** Distinct delivery ids answered 2xx. */
  accepted: number;
  forwarded: number;
  forwardErrors: number;
  /** 404, 413, over the concurrency cap, not captured (503), malformed or slow requests. */
  refused: number;
}

/** A receiver fed by a relay (`listen --from`) instead of, or besides, its own port. */
export interface RelayedReceiver {
  on<K extends keyof ReceiverEvents>(event: K, listener: (...args: ReceiverEvents[K]) => void): this;
  off<K extends keyof ReceiverEvents>(event: K, listener: (...args: ReceiverEvents[K]) => void): this;
  summary(): ReceiverSummary;
  inFlight(): number;
  /** Run one relayed request through the pipeline (see handleRelayed). */
  handleRelayed(input: RelayedInput): RelayedHandling;
  /** Let requests in flight finish and their captures commit, return the summary. */
  close(): Promise<ReceiverSummary>;
}

export interface Receiver extends RelayedReceiver {
  url: string;
  host: string;
  port: number;
  summary(): ReceiverSummary;
  /** Requests being handled right now. */
  inFlight(): number;
  /** Stop accepting, let requests in flight finish (delays end early), return the summary. */
  close(): Promise<ReceiverSummary>;
}
