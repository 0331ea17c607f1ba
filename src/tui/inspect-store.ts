import { deliveryDetailJson } from "../contract/delivery.js";
import type { RetryNowResult } from "../delivery/retry-now.js";
import { DeliveryBrowser } from "../store/browse.js";
import { loadDeliveryDetail } from "../store/deliveries.js";
import type { Db } from "../store/open.js";
import { purgeDeliveries, requeueDeliveries } from "../store/queue.js";
import type { DeliveryDetailData } from "./detail-lines.js";
import { retryMessage } from "./retry-message.js";

/** What an action did, as one line for the status bar. */
export interface ActionResult {
  ok: boolean;
  message: string;
}

/** Everything the app reads from and writes to the log; the app never touches SQL itself. */
export interface InspectStore {
  browser: DeliveryBrowser;
  detail(id: string): DeliveryDetailData | undefined;
  /**
   * Requeue and attempt at once, as `replay <id>` does, through the same delivery code; resolves
   * when the attempt is recorded. A second call for a delivery still being sent joins the first.
   */
  retryNow(id: string): Promise<ActionResult>;
  /** Back to pending, due now, through the same code as `dlq requeue`; nothing is sent. */
  requeue(id: string): ActionResult;
  /** Delete with its attempts, through the same code as `dlq purge`. */
  purge(id: string): ActionResult;
  /** Attempts started by `retryNow` still running. */
  inFlight(): number;
  /** Resolves once no attempt started by `retryNow` is still running (before closing the log). */
  settled(): Promise<void>;
}

export interface InspectStoreOptions {
  /** Sends one delivery now (`retryNow` in src/delivery); without it `retryNow` says it cannot. */
  retry?: (id: string) => Promise<RetryNowResult>;
}

export function createInspectStore(
  db: Db,
  now: () => number,
  options: InspectStoreOptions = {},
): InspectStore {
  const sending = new Map<string, Promise<ActionResult>>();
  return {
    browser: new DeliveryBrowser(db),
    detail(id) {
      const detail = loadDeliveryDetail(db, id);
      return detail ? deliveryDetailJson(detail) : undefined;
    },
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
    requeue(id) {
      const [result] = requeueDeliveries(db, [id], { now: now() });
      if (result?.outcome === "requeued") {
        return {
          ok: true,
          message: `requeued ${id} (was ${result.previousStatus}): due now; hookctl replay sends it`,
        };
      }
      const reason =
        result?.reason === "leased" ? "it is in flight under a live lease" : "it no longer exists";
      return { ok: false, message: `not requeued: ${reason}` };
    },
    purge(id) {
      const deleted = purgeDeliveries(db, [id]);
      return deleted > 0
        ? { ok: true, message: `purged ${id}` }
        : { ok: false, message: "not purged: it is in flight or no longer exists" };
    },
    inFlight: () => sending.size,
    async settled() {
      await Promise.all(sending.values());
    },
  };
}
