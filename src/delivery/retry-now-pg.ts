import { queueDeadLetterAlertsSql } from "../store/pg/dead-letter-alerts.js";
import { PgDeliveryReads } from "../store/pg/deliveries.js";
import { PgEngineStore } from "../store/pg/engine-store.js";
import { requeueChunkPg } from "../store/pg/queue.js";
import { inTransaction } from "../store/pg/transaction.js";
import { toDelivery } from "../store/rows.js";
import type { DeliveryRow } from "../store/types.js";
import { type DeliveryReport, makeAttempt } from "./deliver.js";
import { leaseMarginMs, type PgRetryNowDeps, type RetryNowResult } from "./retry-now.js";

/**
 * retryNow on PostgreSQL: the requeue and the claim are one transaction (the row stays locked
 * from the requeue's FOR UPDATE to the claim), and the attempt is recorded as an engine records
 * one, by an exchange fenced by the lease token. A delivery of an endpoint with a shared cap or
 * rate is claimed as every scheduler claims (a slot and a token, or not now), after the requeue
 * committed: an operator's "send now" does not go past the limits the schedulers keep.
 */
export async function retryNowPg(deps: PgRetryNowDeps, id: string): Promise<RetryNowResult> {
  const { pool } = deps.log;
  const token = deps.newToken();
  const claimed = await inTransaction(pool, async (client) => {
    const now = deps.now();
    const [requeued] = await requeueChunkPg(client, [id], { now });
    if (requeued?.outcome !== "requeued") return requeued?.reason ?? "not-found";
    const limits = await client.query(
      `SELECT 1 FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
       WHERE d.id = $1 AND (e.concurrency IS NOT NULL OR e.rate_per_second IS NOT NULL)`,
      [id],
    );
    if (limits.rowCount === 1) return "limited";
    const { rows } = await client.query<Record<string, unknown>>(
      `UPDATE deliveries SET status = 'in_flight', lease_token = $2, updated_at = $3::bigint,
         lease_expires_at = $3::bigint + timeout_ms + $4::bigint
       WHERE id = $1 AND status = 'pending' RETURNING *`,
      [id, token, now, leaseMarginMs],
    );
    const delivery = rows[0] ? toDelivery(rows[0]) : undefined;
    if (!delivery) return "claimed";
    if (delivery.damage === null) return delivery;
    // As Leases.claimById: a damaged row is never sent; it becomes a dead letter saying why.
    await client.query(
      `WITH dead AS (
         UPDATE deliveries SET status = 'dead', lease_token = NULL, lease_expires_at = NULL,
           next_attempt_at = NULL, updated_at = $2::bigint, completed_at = $2::bigint
         WHERE id = $1 RETURNING id, attempt_count)
       ${queueDeadLetterAlertsSql("dead", "$2::bigint")}`,
      [id, now],
    );
    return "claimed";
  });
  if (claimed !== "limited" && typeof claimed === "string") return { outcome: "skipped", reason: claimed };
  const store = new PgEngineStore(pool, { now: deps.now });
  try {
    const delivery = claimed === "limited" ? await claimLimited(store, deps.now(), id, token) : claimed;
    if (typeof delivery === "string") return { outcome: "skipped", reason: delivery };
    return { outcome: "attempted", report: await attemptClaimed(deps, store, delivery, token) };
  } finally {
    await store.close();
  }
}

/** The requeued delivery `id` of a limited endpoint, claimed by name through its slots and tokens. */
async function claimLimited(
  store: PgEngineStore,
  now: number,
  id: string,
  token: string,
): Promise<DeliveryRow | "claimed" | "limited"> {
  const claim = { token, limit: 1, marginMs: leaseMarginMs, exclude: [], scope: undefined, ids: [id] };
  const result = await store.exchange({ now, completions: [], releases: [], claim });
  const [work] = result.work;
  if (work) return work.delivery;
  // Taken by a scheduler since the requeue (or shelved as damaged), or waiting for a slot/token.
  return result.refused.includes(id) || result.shelved.includes(id) ? "claimed" : "limited";
}

async function attemptClaimed(
  deps: PgRetryNowDeps,
  store: PgEngineStore,
  delivery: DeliveryRow,
  token: string,
): Promise<DeliveryReport> {
  const { pool } = deps.log;
  let recorded: boolean | undefined;
  try {
    const event = await new PgDeliveryReads(pool).getEvent(delivery.eventId);
    if (!event) throw new Error(`delivery ${delivery.id} has no event ${delivery.eventId}`);
    const secrets =
      delivery.secrets ?? (delivery.endpointId ? await activeSecrets(deps, delivery.endpointId) : []);
    const made = await makeAttempt({ delivery, event, secrets, leaseToken: token }, deps);
    const result = await store.exchange({
      now: deps.now(),
      completions: [{ token, attempt: made.attempt, next: made.next }],
      releases: [],
    });
    recorded = result.recorded[0] === true;
    return { delivery, event, attempt: made.attempt, decision: made.decision, stale: !recorded };
  } catch (error) {
    // Not attempted (or not recorded): hand it back, still due, for the next replay.
    if (recorded === undefined) {
      await store.exchange({ now: deps.now(), completions: [], releases: [{ id: delivery.id, token }] });
    }
    throw error;
  }
}

/** The endpoint's secrets not yet expired, newest first (store/endpoints.ts activeSecrets). */
async function activeSecrets(deps: PgRetryNowDeps, endpointId: string): Promise<string[]> {
  const { rows } = await deps.log.pool.query<{ secret: string }>(
    `SELECT secret FROM endpoint_secrets WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > $2::bigint)
     ORDER BY created_at DESC, id DESC`,
    [endpointId, deps.now()],
  );
  return rows.map((row) => row.secret);
}
