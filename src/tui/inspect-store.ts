import { deliveryDetailJson } from "../contract/delivery.js";
import type { RetryNowResult } from "../delivery/retry-now.js";
import { DeliveryBrowser } from "../store/browse.js";
import { type DeliveryDetail, loadDeliveryDetail } from "../store/deliveries.js";
import type { LogHandle } from "../store/log-handle.js";
import type { Db } from "../store/open.js";
import { type Answer, type BrowsePort, browserOf, isPending } from "../store/ports/browse.js";
import { deliveryReadsOf } from "../store/ports/deliveries.js";
import { queueStoreOf } from "../store/ports/queue.js";
import { purgeDeliveries, type RequeueResult, requeueDeliveries } from "../store/queue.js";
import type { DeliveryDetailData } from "./detail-lines.js";
import { retryMessage } from "./retry-message.js";

/** What an action did, as one line for the status bar. */
export interface ActionResult {
  ok: boolean;
  message: string;
}

/**
 * Everything the app reads from and writes to the log; the app never touches SQL itself. Reads
 * and writes answer at once on SQLite and later on PostgreSQL (`Answer`): the app handles both.
 */
export interface InspectStore {
  browser: BrowsePort;
  detail(id: string): Answer<DeliveryDetailData | undefined>;
  /**
   * Requeue and attempt at once, as `replay <id>` does, through the same delivery code; resolves
   * when the attempt is recorded. A second call for a delivery still being sent joins the first.
   */
  retryNow(id: string): Promise<ActionResult>;
  /** Back to pending, due now, through the same code as `dlq requeue`; nothing is sent. */
  requeue(id: string): Answer<ActionResult>;
  /** Delete with its attempts, through the same code as `dlq purge`. */
  purge(id: string): Answer<ActionResult>;
  /** Attempts started by `retryNow` still running. */
  inFlight(): number;
  /** Resolves once no attempt started by `retryNow` is still running (before closing the log). */
  settled(): Promise<void>;
}

export interface InspectStoreOptions {
  /** Sends one delivery now (`retryNow` in src/delivery); without it `retryNow` says it cannot. */
  retry?: (id: string) => Promise<RetryNowResult>;
}

/** The log as the app uses it, on one backend: the store functions `dlq` and `log show` use. */
export interface InspectLog {
  browser: BrowsePort;
  reads: { loadDeliveryDetail(id: string): Answer<DeliveryDetail | undefined> };
  queue: {
    requeueDeliveries(ids: readonly string[], options: { now: number }): Answer<RequeueResult[]>;
    purgeDeliveries(ids: readonly string[]): Answer<number>;
  };
}

/** `f` applied to an answer: at once when it is here, once it comes otherwise. */
export function mapAnswer<T, U>(answer: Answer<T>, f: (value: T) => U): Answer<U> {
  return isPending(answer) ? answer.then(f) : f(answer);
}

/** The SQLite log's store: every read and write synchronous, as `dlq` and `log show` run them. */
export function createInspectStore(
  db: Db,
  now: () => number,
  options: InspectStoreOptions = {},
): InspectStore {
  const reads = { loadDeliveryDetail: (id: string) => loadDeliveryDetail(db, id) };
  const queue = {
    requeueDeliveries: (ids: readonly string[], requeue: { now: number }) =>
      requeueDeliveries(db, ids, requeue),
    purgeDeliveries: (ids: readonly string[]) => purgeDeliveries(db, ids),
  };
  return inspectStoreOver({ browser: new DeliveryBrowser(db), reads, queue }, now, options);
}

/**
 * The store over either backend. SQLite keeps its synchronous functions (one frame a key);
 * PostgreSQL's come from the same ports `dlq` and `log show` use.
 */
export function inspectStoreOf(
  log: LogHandle,
  now: () => number,
  options: InspectStoreOptions = {},
): InspectStore {
  if (log.backend === "sqlite") return createInspectStore(log.db, now, options);
  const parts = { browser: browserOf(log), reads: deliveryReadsOf(log), queue: queueStoreOf(log) };
  return inspectStoreOver(parts, now, options);
}

export function inspectStoreOver(
  log: InspectLog,
  now: () => number,
  options: InspectStoreOptions = {},
): InspectStore {
  const sending = new Map<string, Promise<ActionResult>>();
  return {
    browser: log.browser,
    detail: (id) =>
      mapAnswer(log.reads.loadDeliveryDetail(id), (detail) =>
        detail ? deliveryDetailJson(detail) : undefined,
      ),
    retryNow(id) {
      const running = sending.get(id);
      if (running) return running;
      const { retry } = options;
      if (!retry) return Promise.resolve({ ok: false, message: "retrying is not available here" });
      const result = retry(id).then(
        (outcome) => retryMessage(id, outcome, now()),
        (error: unknown) => ({
          ok: false,
          message: `not retried: ${error instanceof Error ? error.message : String(error)}`,
        }),
      );
      const tracked = result.finally(() => sending.delete(id));
      sending.set(id, tracked);
      return tracked;
    },
    requeue: (id) =>
      mapAnswer(log.queue.requeueDeliveries([id], { now: now() }), ([result]) => requeued(id, result)),
    purge: (id) =>
      mapAnswer(log.queue.purgeDeliveries([id]), (deleted) =>
        deleted > 0
          ? { ok: true, message: `purged ${id}` }
          : { ok: false, message: "not purged: it is in flight or no longer exists" },
      ),
    inFlight: () => sending.size,
    async settled() {
      await Promise.all(sending.values());
    },
  };
}

function requeued(id: string, result: RequeueResult | undefined): ActionResult {
  if (result?.outcome === "requeued") {
    return {
      ok: true,
      message: `requeued ${id} (was ${result.previousStatus}): due now; hookctl replay sends it`,
    };
  }
  const reason = result?.reason === "leased" ? "it is in flight under a live lease" : "it no longer exists";
  return { ok: false, message: `not requeued: ${reason}` };
}
