import { deliveryDetailJson, deliveryJson, eventJson } from "../../contract/delivery.js";
import type { DeliveryPageJson, EventDetailJson } from "../../contract/schema/serve-read.js";
import { encodeCursor } from "../cursor.js";
import { Problem } from "../http.js";
import { parseListQuery } from "../list-query.js";
import { notFound, resolvePathId } from "../lookup.js";
import type { Handler } from "../routes.js";

/**
 * `GET /v1/events/{id}`: the event, its idempotency key and every delivery made of it. The key
 * is shown while ingest honours it (the default TTL: a `--idempotency-ttl` is not known here).
 */
export const getEvent: Handler = async (request, app) => {
  const id = await resolvePathId(app.log, "events", request.params.id ?? "");
  const detail = await app.reads.loadEventDetail(id, app.now() - app.idempotencyTtlMs);
  if (!detail) throw gone("event", id);
  const json: EventDetailJson = {
    ...eventJson(detail.event),
    idempotencyKey: detail.idempotencyKey,
    deliveries: detail.deliveries.map((item) => deliveryJson(item)),
  };
  return { status: 200, json };
};

/** `GET /v1/deliveries/{id}`: exactly what `hookctl log show <id> --json` prints. */
export const getDelivery: Handler = async (request, app) => {
  const id = await resolvePathId(app.log, "deliveries", request.params.id ?? "");
  const detail = await app.reads.loadDeliveryDetail(id);
  if (!detail) throw gone("delivery", id);
  return { status: 200, json: deliveryDetailJson(detail) };
};

/** `GET /v1/deliveries?status=&event=&endpoint=&since=&limit=&cursor=`: newest first, a page at a time. */
export const listDeliveries: Handler = async (request, app) => {
  const query = await parseListQuery(request.query, app.outbox, app.now());
  const page = await app.outbox.deliveryPage(query);
  const last = page.items.at(-1);
  const json: DeliveryPageJson = {
    deliveries: page.items.map((item) => deliveryJson(item)),
    nextCursor: page.more && last ? encodeCursor(last.delivery.id) : null,
  };
  return { status: 200, json };
};

/**
 * `POST /v1/deliveries/{id}/retry`: due now, as a manual attempt with its schedule reset (what
 * `hookctl replay <id>` does), and the engine woken to send it at once. 202: it is queued, not
 * yet sent. A delivery an engine holds under a live lease is 409: its attempt is under way.
 */
export const retryDelivery: Handler = async (request, app) => {
  const id = await resolvePathId(app.log, "deliveries", request.params.id ?? "");
  const result = await app.outbox.retryDelivery(id, app.now());
  if (result.outcome !== "requeued") {
    if (result.outcome === "leased") {
      throw new Problem(
        409,
        "Conflict",
        `delivery ${id} is in flight; retry it once its attempt has finished`,
      );
    }
    throw gone("delivery", id);
  }
  app.wake();
  return { status: 202, json: deliveryJson(result.item) };
};

/** Found by id a moment ago, gone now: another process purged it in between. */
function gone(noun: string, id: string): Problem {
  return notFound(`${noun} ${id} was just removed from the log`);
}
