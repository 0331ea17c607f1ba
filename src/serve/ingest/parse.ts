import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { parseInput } from "../../contract/parse.js";
import { idempotencyKey, ingestBatchRequest, ingestRequest } from "../../contract/schema/serve.js";
import { unsendableReason } from "../../delivery/header-value.js";
import { HookctlError } from "../../errors.js";
import type { IncomingEvent } from "../../store/outbox.js";
import { Problem } from "../http.js";
import { elementSpans, memberSpans, rootSpan, type Span } from "./json-span.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const shape = 'send {"type": "…", "payload": <any JSON>, "id"?: "…"} as JSON';

/** 422 with parseInput's one line (the field and what is wrong with it). */
function invalid(error: unknown): never {
  if (error instanceof HookctlError) throw new Problem(422, "Unprocessable Content", error.message);
  throw error;
}

/** The body as JSON text and value; 400 when it is not UTF-8 JSON. */
function readJson(body: Buffer): unknown {
  if (body.length === 0) throw new Problem(400, "Bad Request", `the body is empty: ${shape}`);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new Problem(400, "Bad Request", "the body is not valid UTF-8 (JSON must be)");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Problem(400, "Bad Request", `the body is not JSON (${(error as Error).message}): ${shape}`);
  }
}

/** `payload` may be any JSON value, null included, but it must be there. */
function requirePayload(value: unknown, where: string): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !("payload" in value)) {
    throw new Problem(422, "Unprocessable Content", `${where}: payload: required (any JSON value)`);
  }
}

/** The Idempotency-Key header, checked; null when absent. */
export function idempotencyHeader(headers: IncomingHttpHeaders): string | null {
  const value = headers["idempotency-key"];
  if (value === undefined) return null;
  try {
    return parseInput(idempotencyKey, value, "the Idempotency-Key header");
  } catch (error) {
    return invalid(error);
  }
}

/**
 * One event out of its place in the body: the payload's bytes exactly as sent, and the sha256
 * of the event object's bytes (what a repeat of its key must match).
 */
function incoming(
  body: Buffer,
  object: Span,
  type: string,
  key: string | null,
  where: string,
): IncomingEvent {
  const reason = unsendableReason(type);
  if (reason) {
    throw new Problem(
      422,
      "Unprocessable Content",
      `${where}: type ${reason} (it is sent as X-Webhook-Event)`,
    );
  }
  const payload = memberSpans(body, object).get("payload") as Span;
  return {
    type,
    body: Buffer.from(body.subarray(payload.start, payload.end)),
    contentType: "application/json",
    idempotency:
      key === null
        ? null
        : {
            key,
            requestSha256: createHash("sha256").update(body.subarray(object.start, object.end)).digest("hex"),
          },
  };
}

/**
 * `POST /v1/events`: the event, keyed by the Idempotency-Key header or the `id` field (the same
 * key in both is fine; two different keys are refused).
 */
export function parseEvent(body: Buffer, headerKey: string | null): IncomingEvent {
  const value = readJson(body);
  requirePayload(value, "the event");
  let event: ReturnType<typeof ingestRequest.parse>;
  try {
    event = parseInput(ingestRequest, value, "the event");
  } catch (error) {
    invalid(error);
  }
  if (headerKey !== null && event.id !== undefined && event.id !== headerKey) {
    throw new Problem(
      422,
      "Unprocessable Content",
      "the Idempotency-Key header and the id field name different keys: give the key once",
    );
  }
  return incoming(body, rootSpan(body), event.type, headerKey ?? event.id ?? null, "the event");
}

/** `POST /v1/events:batch`: `{"events": [...]}`, each event keyed by its own `id`. */
export function parseBatch(body: Buffer): IncomingEvent[] {
  const value = readJson(body);
  const items = (value as { events?: unknown } | null)?.events;
  if (Array.isArray(items)) {
    for (const [i, item] of items.entries()) requirePayload(item, `the batch: events[${i}]`);
  }
  let batch: ReturnType<typeof ingestBatchRequest.parse>;
  try {
    batch = parseInput(ingestBatchRequest, value, "the batch");
  } catch (error) {
    invalid(error);
  }
  const list = memberSpans(body, rootSpan(body)).get("events") as Span;
  const objects = elementSpans(body, list);
  return batch.events.map((event, i) =>
    incoming(body, objects[i] as Span, event.type, event.id ?? null, `the batch: events[${i}]`),
  );
}
