import { Problem, type ServeResponse } from "../http.js";
import { answerOf, ingestorFor } from "../ingest/ingestor.js";
import { idempotencyHeader, parseBatch, parseEvent } from "../ingest/parse.js";
import type { Handler } from "../routes.js";

const json = { "Content-Type": "application/json" };

/**
 * `POST /v1/events`: 202 once the event and its deliveries are committed. The Idempotency-Key
 * header is held from the moment the headers arrive, so a twin sent while this body is still
 * coming in gets 409 rather than a second event.
 */
export const ingestEvent: Handler = async (request, app) => {
  const ingestor = ingestorFor(app);
  const headerKey = idempotencyHeader(request.headers);
  const holding = ingestor.holding();
  try {
    if (headerKey !== null) holding.add(headerKey);
    const event = parseEvent(await request.body(), headerKey);
    if (event.idempotency) holding.add(event.idempotency.key);
    const [admission] = await ingestor.admit([event], () => "the event");
    if (!admission) throw new Error("an admitted request came back without its event");
    return {
      status: 202,
      headers: { ...json, Location: `/v1/events/${admission.eventId}` },
      text: answerOf(admission),
    };
  } finally {
    holding.release();
  }
};

/** `POST /v1/events:batch` with `{"events": [...]}`: every event committed, or none. */
export const ingestBatch: Handler = async (request, app): Promise<ServeResponse> => {
  if (request.headers["idempotency-key"] !== undefined) {
    throw new Problem(
      422,
      "Unprocessable Content",
      "a batch takes no Idempotency-Key header: give each event its own id",
    );
  }
  const ingestor = ingestorFor(app);
  const events = parseBatch(await request.body());
  const holding = ingestor.holding();
  try {
    for (const event of events) if (event.idempotency) holding.add(event.idempotency.key);
    const admissions = await ingestor.admit(events, (index) => `the batch: events[${index}]`);
    return { status: 202, headers: json, text: `{"events":[${admissions.map(answerOf).join(",")}]}` };
  } finally {
    holding.release();
  }
};
