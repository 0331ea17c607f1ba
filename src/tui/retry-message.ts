import type { RetryNowResult } from "../delivery/retry-now.js";
import { clock, latency, outcome, shortId } from "./format.js";
import type { ActionResult } from "./inspect-store.js";

const skipped = {
  "not-found": "not retried: it no longer exists",
  leased: "not retried: it is in flight under a live lease (a replay is sending it)",
  claimed: "requeued; a running replay took it first and sends it",
  limited: "requeued; its endpoint's shared cap or rate has no room now: replay sends it when it has",
} as const;

/** What a retry did, for the status line: `…J8YF9AB attempt #3 → 503 in 12 ms, retry 1 at 12:03:04`. */
export function retryMessage(id: string, result: RetryNowResult, now: number): ActionResult {
  if (result.outcome === "skipped")
    return {
      ok: result.reason === "claimed" || result.reason === "limited",
      message: skipped[result.reason],
    };
  const { attempt, decision, stale } = result.report;
  const head = `${shortId(id)} attempt #${attempt.number} → ${outcome(attempt.statusCode, attempt.errorClass)} in ${latency(attempt.durationMs)}`;
  if (stale) return { ok: false, message: `${head}; another process took the delivery over, not recorded` };
  if (decision.status === "succeeded") return { ok: true, message: `${head}, succeeded` };
  if (decision.status === "dead") return { ok: false, message: `${head}, dead (${decision.reason})` };
  const at = decision.nextAttemptAt;
  const when = at - now < 86_400_000 ? clock(at).slice(11) : clock(at);
  return {
    ok: false,
    message: `${head}, retry ${decision.retry} at ${when} (hookctl replay sends it)`,
  };
}
