import type { ExchangeRequest, ExchangeResult } from "../../store/engine-port.js";
import type { DeliveryReport } from "../deliver.js";

/** What the engine can offer a source to build its next request with. */
export interface AskContext {
  now: number;
  /** Rows wanted: room in the ready queue. */
  limit: number;
  /** The lease for whatever this request brings: a fresh token per batch. */
  token: string;
  marginMs: number;
  /** Endpoints at their cap or waiting for a rate token: claim none of theirs. */
  exclude: readonly string[];
}

/** What a source says when the engine has nothing ready, running or waiting to be recorded. */
export type Lull =
  | { done: true }
  /** Ask again at `wakeAt` (null: only when something rings); `idle` is reported to the user. */
  | { done: false; wakeAt: number | null; idle?: { until: number | null; next: string | null } };

/**
 * Where an engine's work comes from: the log's due deliveries (`replay`, `serve`), or events a
 * run persists as it goes (`send`). The engine owns leases, limits, attempts and records; a
 * source only says what to ask the store for next and when there is nothing more.
 */
export interface WorkSource {
  /** When there may be work to ask for: a time (at or before `now`: ask now), or null (none). */
  readyAt(now: number): number | null;
  /** The part of the next exchange that brings work, or undefined when there is none to ask for now. */
  ask(context: AskContext): Pick<ExchangeRequest, "claim" | "insert" | "again"> | undefined;
  /** The store's answer to what `ask` returned (its work is already queued to start). */
  answered(result: ExchangeResult, asked: number, now: number): void;
  /** An attempt whose record was committed (`recorded`) or refused (the lease was lost). */
  recorded(report: DeliveryReport, recorded: boolean): void;
  /** Leased work the engine gave up before its attempt (the lease was lost, or the run stopped). */
  dropped(deliveryId: string, reason: "lost" | "stopped"): void;
  /** The engine is idle: finished, or when to ask again. */
  lull(now: number, view: EngineView): Promise<Lull>;
}

/** What an idle engine knows that a source may need to judge the log. */
export interface EngineView {
  /** Deliveries this engine holds leases on (not someone else's lapsed ones). */
  held: ReadonlySet<string>;
  exclude: readonly string[];
  /** When the earliest rate-limited endpoint may go again. */
  nextUnblock: number | null;
}
