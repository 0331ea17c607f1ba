import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maxBatchEvents } from "../../src/contract/schema/serve.js";
import type { ServeRequest, ServeResponse } from "../../src/serve/http.js";
import { ingestorFor } from "../../src/serve/ingest/ingestor.js";
import { parseEvent } from "../../src/serve/ingest/parse.js";
import { ingestBatch, ingestEvent } from "../../src/serve/routes/ingest.js";
import { getDelivery } from "../../src/store/deliveries.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { problemOf, serveApp } from "../helpers/serve-app.js";

type Harness = ReturnType<typeof serveApp>;

/** A POST as the server hands it over; `body` may be a promise the test settles later. */
function post(body: string | Buffer | Promise<Buffer>, headers: Record<string, string> = {}): ServeRequest {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  return {
    method: "POST",
    path: "/v1/events",
    query: new URLSearchParams(),
    headers,
    params: {},
    body: () => Promise.resolve(bytes),
  };
}

interface Answer {
  id: string;
  type: string;
  idempotencyKey: string | null;
  duplicate: boolean;
  deliveries: { id: string; endpoint: string }[];
}

async function accepted(response: ServeResponse | Promise<ServeResponse>): Promise<Answer> {
  const answer = await response;
  expect(answer.status).toBe(202);
  expect(answer.headers?.["Content-Type"]).toBe("application/json");
  return JSON.parse(answer.text as string) as Answer;
}

function send(h: Harness, body: string, headers: Record<string, string> = {}) {
  return accepted(ingestEvent(post(body, headers), h.app));
}

function storedBody(h: Harness, id: string): Buffer {
  return h.db.prepare("SELECT body FROM events WHERE id = ?").pluck().get(id) as Buffer;
}

const count = (h: Harness, table: string) =>
  h.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;

describe("POST /v1/events: the payload", () => {
  it("is stored byte for byte as it appears in the request, whitespace and escapes kept", async () => {
    const h = serveApp();
    const payload = '{ "a" :\t1.0e+2 ,\n  "b": "\\u00e9\\ud83d\\ude00", "é": [ ] ,"n":null }';
    const body = ` \n{"type": "order.created",\r\n "pay\\u006coad"  :  ${payload}  , "id": "k-1"}\n`;
    const answer = await send(h, body);
    expect(answer).toMatchObject({ type: "order.created", idempotencyKey: "k-1", duplicate: false });
    expect(storedBody(h, answer.id).equals(Buffer.from(payload))).toBe(true);
    const row = h.db.prepare("SELECT content_type, type FROM events WHERE id = ?").get(answer.id);
    expect(row).toEqual({ content_type: "application/json", type: "order.created" });
  });

  it("keeps scalar payloads and the last of a repeated member, as JSON.parse reads it", async () => {
    const h = serveApp();
    const first = await send(h, '{"type":"a","payload":"x\\"y"}');
    expect(storedBody(h, first.id).toString()).toBe('"x\\"y"');
    const last = await send(h, '{"payload":1,"type":"a","payload": [true, {"k":"]"}]}');
    expect(storedBody(h, last.id).toString()).toBe('[true, {"k":"]"}]');
    const zero = await send(h, '{"type":"a","payload":-0.5}');
    expect(storedBody(h, zero.id).toString()).toBe("-0.5");
  });

  it("answers 400 for a body that is not UTF-8 JSON and 422 for one of the wrong shape", async () => {
    const h = serveApp();
    const status = async (body: string | Buffer) =>
      (await problemOf(() => ingestEvent(post(body), h.app))).status;
    expect(await status("")).toBe(400);
    expect(await status("{")).toBe(400);
    expect(await status(Buffer.from([0x7b, 0xff, 0x7d]))).toBe(400);
    expect(
      await status(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"type":"a","payload":1}')])),
    ).toBe(400);
    expect(await status("[]")).toBe(422);
    expect(await status('{"type":"a"}')).toBe(422);
    expect(await status('{"type":"","payload":1}')).toBe(422);
    expect(await status('{"type":"a","payload":1,"paylod":2}')).toBe(422);
    const missing = await problemOf(() => ingestEvent(post('{"payload":1}'), h.app));
    expect(missing.detail).toBe("the event: type: required (string)");
    expect(count(h, "events")).toBe(0);
  });

  it("refuses a type that cannot be sent as the X-Webhook-Event header with 422", async () => {
    const h = serveApp();
    const problem = await problemOf(() => ingestEvent(post('{"type":"a\\nb","payload":1}'), h.app));
    expect(problem.status).toBe(422);
    expect(problem.detail).toContain("line break");
    expect(problem.detail).not.toContain("\n");
  });
});

describe("POST /v1/events: fan-out", () => {
  it("creates one pending delivery, due now, per endpoint whose globs match the type", async () => {
    const h = serveApp();
    const createdAt = h.clock.now;
    seedEndpoint(h.db, {
      id: "ep_o",
      name: "orders",
      url: "http://127.0.0.1:9/o",
      createdAt,
      events: ["order.*"],
    });
    seedEndpoint(h.db, {
      id: "ep_a",
      name: "all",
      url: "http://127.0.0.1:9/a",
      createdAt,
      scheme: "standard",
      timeoutMs: 2500,
      policy: JSON.stringify({ retries: 3 }),
    });
    seedEndpoint(h.db, {
      id: "ep_i",
      name: "invoices",
      url: "http://127.0.0.1:9/i",
      createdAt,
      events: ["invoice.paid"],
    });
    const answer = await send(h, '{"type":"order.item.added","payload":{}}');
    expect(answer.deliveries.map((d) => d.endpoint).sort()).toEqual(["all", "orders"]);
    const toAll = getDelivery(h.db, answer.deliveries.find((d) => d.endpoint === "all")?.id ?? "");
    expect(toAll).toMatchObject({
      eventId: answer.id,
      endpointId: "ep_a",
      url: "http://127.0.0.1:9/a",
      scheme: "standard",
      secrets: null,
      timeoutMs: 2500,
      status: "pending",
      nextAttemptAt: h.clock.now,
      nextTrigger: "initial",
    });
    expect(JSON.parse(toAll?.policy ?? "{}")).toMatchObject({ retries: 3, initialMs: 1000 });
    expect(h.engine.wakes).toBe(1);
  });

  it("records an event no endpoint subscribes to, with no deliveries and no wake-up", async () => {
    const h = serveApp();
    seedEndpoint(h.db, {
      id: "ep_o",
      name: "orders",
      url: "http://127.0.0.1:9/o",
      createdAt: 1,
      events: ["order.*"],
    });
    const answer = await send(h, '{"type":"invoice.paid","payload":1}');
    expect(answer.deliveries).toEqual([]);
    expect(count(h, "events")).toBe(1);
    expect(count(h, "deliveries")).toBe(0);
    expect(h.engine.wakes).toBe(0);
    expect(h.app.stats.acceptedEvents).toBe(1);
  });
});

describe("POST /v1/events: idempotency", () => {
  const body = '{"type":"order.created","payload":{"id":42}}';

  it("answers a repeat of a key with the same bytes as the first time, marked duplicate", async () => {
    const h = serveApp();
    seedEndpoint(h.db, { id: "ep_a", name: "all", url: "http://127.0.0.1:9/a", createdAt: 1 });
    const first = await send(h, body, { "idempotency-key": "order-42" });
    const again = await send(h, body, { "idempotency-key": "order-42" });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(first.idempotencyKey).toBe("order-42");
    expect(count(h, "events")).toBe(1);
    expect(count(h, "deliveries")).toBe(1);
    expect(h.app.stats).toMatchObject({ acceptedEvents: 1, duplicateEvents: 1 });
    // The id field is the same key as the header.
    const withId = '{"type":"order.created","payload":{"id":42},"id":"order-43"}';
    const viaId = await send(h, withId, { "idempotency-key": "order-43" });
    expect(viaId).toMatchObject({ duplicate: false, idempotencyKey: "order-43" });
    const repeat = await send(h, withId);
    expect(repeat).toEqual({ ...viaId, duplicate: true });
  });

  it("refuses the same key with a different body (422), and two different keys in one request", async () => {
    const h = serveApp();
    await send(h, body, { "idempotency-key": "k" });
    const other = await problemOf(() =>
      ingestEvent(post('{"type":"order.created","payload":{"id":43}}', { "idempotency-key": "k" }), h.app),
    );
    expect(other.status).toBe(422);
    expect(other.detail).toContain('"k" was first used with a different body');
    const both = await problemOf(() =>
      ingestEvent(post('{"type":"a","payload":1,"id":"x"}', { "idempotency-key": "y" }), h.app),
    );
    expect(both.status).toBe(422);
    expect(count(h, "events")).toBe(1);
  });

  it("tells a twin that arrives while the first is still being read to retry (409, Retry-After)", async () => {
    const h = serveApp();
    let finish: (body: Buffer) => void = () => {};
    const slowBody = new Promise<Buffer>((resolve) => {
      finish = resolve;
    });
    const first = ingestEvent(post(slowBody, { "idempotency-key": "twin" }), h.app);
    const twin = await problemOf(() => ingestEvent(post(body, { "idempotency-key": "twin" }), h.app));
    expect(twin.status).toBe(409);
    expect(twin.headers["Retry-After"]).toBe("1");
    finish(Buffer.from(body));
    const answer = await accepted(first);
    // Answered: the key is free again, and a retry of the twin is a duplicate.
    expect(await send(h, body, { "idempotency-key": "twin" })).toEqual({ ...answer, duplicate: true });
  });

  it("honours a key for the TTL, then prunes it and lets it name a new event", async () => {
    const h = serveApp();
    h.app.idempotencyTtlMs = 60_000;
    const ingestor = ingestorFor(h.app);
    const first = await send(h, body, { "idempotency-key": "ttl" });
    h.clock.now += 59_999;
    expect(await ingestor.pruneKeys()).toBe(0);
    expect((await send(h, body, { "idempotency-key": "ttl" })).duplicate).toBe(true);
    h.clock.now += 2;
    const fresh = await send(h, '{"type":"x","payload":2}', { "idempotency-key": "ttl" });
    expect(fresh.id).not.toBe(first.id);
    h.clock.now += 60_001;
    expect(await ingestor.pruneKeys(1)).toBe(1);
    expect(await ingestor.pruneKeys(1)).toBe(0);
    expect(count(h, "idempotency_keys")).toBe(0);
  });

  it("commits requests of one turn together, a refused one leaving the others standing", async () => {
    const h = serveApp();
    await send(h, body, { "idempotency-key": "taken" });
    const [a, b, c] = await Promise.allSettled([
      ingestEvent(post('{"type":"a","payload":1}'), h.app),
      ingestEvent(post('{"type":"b","payload":2}', { "idempotency-key": "taken" }), h.app),
      ingestEvent(post('{"type":"c","payload":3}', { "idempotency-key": "c" }), h.app),
    ]);
    expect(a.status).toBe("fulfilled");
    expect(b).toMatchObject({ status: "rejected", reason: { status: 422 } });
    expect(c.status).toBe("fulfilled");
    expect(h.db.prepare("SELECT type FROM events ORDER BY type").pluck().all()).toEqual([
      "a",
      "c",
      "order.created",
    ]);
  });
});

describe("POST /v1/events:batch", () => {
  const batch = (events: unknown[]) => post(JSON.stringify({ events }));

  it("commits every event, each answered in order, with its payload bytes", async () => {
    const h = serveApp();
    seedEndpoint(h.db, { id: "ep_a", name: "all", url: "http://127.0.0.1:9/a", createdAt: 1 });
    const response = await ingestBatch(
      post('{"events": [ {"type":"a","payload": [1, 2]}, {"type":"b","payload":null,"id":"k"} ]}'),
      h.app,
    );
    expect(response.status).toBe(202);
    const { events } = JSON.parse(response.text as string) as { events: Answer[] };
    expect(events.map((e) => [e.type, e.idempotencyKey, e.deliveries.length])).toEqual([
      ["a", null, 1],
      ["b", "k", 1],
    ]);
    expect(storedBody(h, events[0]?.id ?? "").toString()).toBe("[1, 2]");
    expect(h.engine.wakes).toBe(1);
  });

  it("refuses the whole batch for one bad event, naming its index", async () => {
    const h = serveApp();
    const missing = await problemOf(() =>
      ingestBatch(batch([{ type: "a", payload: 1 }, { payload: 2 }]), h.app),
    );
    expect(missing.status).toBe(422);
    expect(missing.detail).toBe("the batch: events[1].type: required (string)");
    await send(h, '{"type":"k","payload":1}', { "idempotency-key": "used" });
    const reused = await problemOf(() =>
      ingestBatch(
        batch([
          { type: "a", payload: 1 },
          { type: "k", payload: 2, id: "used" },
        ]),
        h.app,
      ),
    );
    expect(reused.status).toBe(422);
    expect(reused.detail).toContain("the batch: events[1]: idempotency key");
    expect(count(h, "events")).toBe(1);
  });

  it("caps its size and takes keys only from each event's id", async () => {
    const h = serveApp();
    const big = Array.from({ length: maxBatchEvents + 1 }, () => ({ type: "a", payload: 1 }));
    expect((await problemOf(() => ingestBatch(batch(big), h.app))).status).toBe(422);
    const header = post('{"events":[]}', { "idempotency-key": "k" });
    expect((await problemOf(() => ingestBatch(header, h.app))).status).toBe(422);
    expect(count(h, "events")).toBe(0);
  });
});

describe("the payload's byte span", () => {
  it("is the payload exactly as written, for any JSON value and indentation", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 1, 2, "\t", " \r\n "), (value, indent) => {
        const payload = JSON.stringify(value, null, indent as number | string);
        const body = Buffer.from(`{"id":"k","payload":${payload} ,"type":"t"}`);
        const event = parseEvent(body, null);
        expect(event.body.toString("utf8")).toBe(payload);
        expect(event.idempotency?.key).toBe("k");
      }),
      { numRuns: 200 },
    );
  });
});
