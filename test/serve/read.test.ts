import { describe, expect, it } from "vitest";
import { delivery, deliveryDetail } from "../../src/contract/schema/delivery.js";
import { deliveryPage, eventDetail } from "../../src/contract/schema/serve-read.js";
import { decodeCursor, encodeCursor } from "../../src/serve/cursor.js";
import { getDelivery, getEvent, listDeliveries, retryDelivery } from "../../src/serve/routes/read.js";
import { getDelivery as getDeliveryRow } from "../../src/store/deliveries.js";
import { type DeliveryPageQuery, deliveryPageSql } from "../../src/store/delivery-page.js";
import { Leases } from "../../src/store/leases.js";
import { runCli } from "../helpers/context.js";
import { shaped, shapedLines } from "../helpers/contract.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { problemOf, seedEvent, serveApp, serveRequest, setStatus } from "../helpers/serve-app.js";

const secret = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3ODk=";

function withEndpoint(harness: ReturnType<typeof serveApp>) {
  seedEndpoint(
    harness.db,
    { id: "ep_orders", name: "orders", url: "http://127.0.0.1:9/orders", createdAt: harness.clock.now },
    [secret],
  );
}

const byId = (id: string) => ({ params: { id } });

describe("GET /v1/events/{id}", () => {
  it("answers the event with its idempotency key and its deliveries, secrets masked", async () => {
    const harness = serveApp();
    withEndpoint(harness);
    const { eventId, deliveryIds } = seedEvent(harness, "order.created", [
      { endpointId: "ep_orders", url: "http://127.0.0.1:9/orders" },
      { secrets: ["bare-url-secret-0123456789"] },
    ]);
    harness.db
      .prepare(
        "INSERT INTO idempotency_keys (key, request_sha256, event_id, response, created_at) VALUES (?, 'x', ?, '{}', ?)",
      )
      .run("order-42", eventId, harness.clock.now);

    const response = await getEvent(serveRequest(`/v1/events/${eventId}`, byId(eventId)), harness.app);
    expect(response.status).toBe(200);
    const json = shaped(eventDetail, response.json);
    expect(json).toMatchObject({
      id: eventId,
      type: "order.created",
      body: '{"type":"order.created"}',
      idempotencyKey: "order-42",
    });
    expect(json.deliveries.map((d) => d.id)).toEqual(deliveryIds);
    expect(json.deliveries.map((d) => d.endpoint)).toEqual(["orders", null]);
    expect(json.deliveries[1]?.signing.secrets).toEqual(["bare…"]);
    expect(JSON.stringify(json)).not.toContain("bare-url-secret-0123456789");
    expect(JSON.stringify(json)).not.toContain(secret);

    // A unique suffix names it too; past the 24 hours a key is honoured, it is not shown.
    harness.clock.now += 24 * 3_600_000 + 1;
    const later = await getEvent(serveRequest("", byId(eventId.slice(-8))), harness.app);
    expect(shaped(eventDetail, later.json)).toMatchObject({ id: eventId, idempotencyKey: null });
  });

  it("is 404 for an unknown id and 400 for a suffix several events share", async () => {
    const harness = serveApp();
    const missing = await problemOf(() => getEvent(serveRequest("", byId("evt_nope")), harness.app));
    expect(missing).toMatchObject({ status: 404, detail: 'no event "evt_nope" in the log' });
    const short = await problemOf(() => getEvent(serveRequest("", byId("abc")), harness.app));
    expect(short.status).toBe(404);
    expect(short.detail).toContain("at least its last 6 characters");

    for (const id of ["evt_01AAAAAAAAAAAAAAAAAAZZZZZZ", "evt_01BBBBBBBBBBBBBBBBBBZZZZZZ"]) {
      harness.db
        .prepare(
          "INSERT INTO events (id, type, body, content_type, created_at) VALUES (?, 't', x'', 'a/b', 0)",
        )
        .run(id);
    }
    const ambiguous = await problemOf(() => getEvent(serveRequest("", byId("ZZZZZZ")), harness.app));
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.detail).toMatch(
      /^"ZZZZZZ" matches several events \(.*\); give more characters of the id$/,
    );
  });
});

describe("GET /v1/deliveries/{id}", () => {
  it("answers exactly what hookctl log show --json prints", async () => {
    const harness = serveApp();
    withEndpoint(harness);
    const { deliveryIds } = seedEvent(harness, "order.created", [
      { endpointId: "ep_orders", extraHeaders: { Authorization: "Bearer tok_live_abcdefghijklmnop" } },
    ]);
    const id = deliveryIds[0] as string;
    // One failed attempt recorded the way the engine records it.
    const leases = new Leases(harness.db);
    leases.claimById(id, { now: harness.clock.now, leaseMs: 30_000, token: "t1" });
    leases.complete(
      "t1",
      {
        deliveryId: id,
        number: 1,
        trigger: "initial",
        url: "http://127.0.0.1:9/orders",
        requestHeaders: { "X-Signature": "abc" },
        startedAt: harness.clock.now,
        durationMs: 12.5,
        statusCode: 503,
        responseHeaders: { "content-type": "text/plain" },
        responseBody: Buffer.from("down"),
        responseTruncated: false,
        errorClass: "http",
        errorMessage: "HTTP 503",
      },
      { status: "pending", nextAttemptAt: harness.clock.now + 1000 },
      harness.clock.now,
    );

    const response = await getDelivery(serveRequest("", byId(id)), harness.app);
    expect(response.status).toBe(200);
    const cli = await runCli(["--db", harness.path, "--json", "log", "show", id]);
    expect(cli.code).toBe(0);
    expect(response.json).toEqual(JSON.parse(cli.stdout));
    const json = shaped(deliveryDetail, response.json);
    expect(json.attempts).toHaveLength(1);
    expect(JSON.stringify(json)).not.toContain("tok_live_abcdefghijklmnop");

    const bySuffix = await getDelivery(serveRequest("", byId(id.slice(-6).toLowerCase())), harness.app);
    expect(bySuffix.json).toEqual(response.json);
    const missing = await problemOf(() => getDelivery(serveRequest("", byId("dlv_missing")), harness.app));
    expect(missing.status).toBe(404);
  });
});

describe("GET /v1/deliveries", () => {
  const list = (harness: ReturnType<typeof serveApp>, query: string) =>
    listDeliveries(serveRequest("/v1/deliveries", { query }), harness.app);

  it("pages newest first with no repeats or gaps while new deliveries arrive between pages", async () => {
    const harness = serveApp();
    const dead: string[] = [];
    for (let i = 0; i < 11; i++) {
      const { deliveryIds } = seedEvent(harness, i % 2 ? "order.created" : "invoice.paid", [{}, {}]);
      for (const id of deliveryIds) setStatus(harness.db, id, "dead");
      dead.push(...deliveryIds);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await list(harness, `status=dead&limit=5${cursor ? `&cursor=${cursor}` : ""}`);
      const page = shaped(deliveryPage, response.json);
      seen.push(...page.deliveries.map((d) => d.id));
      cursor = page.nextCursor;
      pages++;
      // Newcomers sort above every page already given: they must not appear later on.
      for (const id of seedEvent(harness, "order.created", [{}, {}]).deliveryIds) {
        setStatus(harness.db, id, "dead");
      }
    } while (cursor !== null);
    expect(pages).toBe(5);
    expect(seen).toEqual([...dead].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("lists each delivery as hookctl log --json does, and filters by event glob, endpoint and since", async () => {
    const harness = serveApp();
    withEndpoint(harness);
    seedEvent(harness, "invoice.paid");
    const start = harness.clock.now;
    harness.clock.now += 60_000;
    const orders = seedEvent(harness, "order.created", [{ endpointId: "ep_orders" }, {}]).deliveryIds;

    const all = shaped(deliveryPage, (await list(harness, "")).json);
    const cli = await runCli(["--db", harness.path, "--json", "log"]);
    expect(all.deliveries).toEqual(shapedLines(delivery, cli.stdout));
    expect(all.deliveries).toHaveLength(3);
    expect(all.nextCursor).toBeNull();

    const ids = async (query: string) =>
      shaped(deliveryPage, (await list(harness, query)).json).deliveries.map((d) => d.id);
    expect(await ids("event=order.*")).toEqual([...orders].reverse());
    expect(await ids("endpoint=orders")).toEqual([orders[0]]);
    expect(await ids(`since=${new Date(start + 1).toISOString()}`)).toEqual([...orders].reverse());
    expect(await ids("since=30s")).toEqual([...orders].reverse());
    // A zone offset whose plus was not encoded (a space once decoded) still reads as one.
    const offset = new Date(start + 3_600_000).toISOString().slice(0, 23);
    expect(await ids(`since=${offset}+01:00`)).toEqual([...orders].reverse());
    expect(await ids("status=pending&limit=1")).toEqual([orders[1]]);
  });

  it("answers a bad cursor, status, limit or parameter with a one-line 400", async () => {
    const harness = serveApp();
    withEndpoint(harness);
    const cases: [string, RegExp][] = [
      ["cursor=not-a-cursor", /^cursor is not one this server gave/],
      [`cursor=${encodeCursor("evt_01AAAA")}`, /^cursor is not one/],
      [`cursor=${encodeCursor("dlv_01AAAA")}!`, /^cursor is not one/],
      ["status=lost", /^status must be one of pending, in_flight, succeeded, dead, not "lost"$/],
      ["limit=0", /^limit must be a whole number from 1 to 500/],
      ["limit=501", /^limit must be a whole number from 1 to 500/],
      ["limit=ten", /^limit must be a whole number/],
      ["since=yesterday", /^since must be an ISO 8601 instant or an age/],
      ["endpoint=nowhere", /^no endpoint named "nowhere"$/],
      ["statuz=dead", /^unknown query parameter "statuz"/],
      ["status=dead&status=pending", /^query parameter status given more than once$/],
    ];
    for (const [query, detail] of cases) {
      const problem = await problemOf(() => list(harness, query));
      expect({ query, status: problem.status }).toEqual({ query, status: 400 });
      expect(problem.detail).toMatch(detail);
      expect(problem.detail).not.toContain("\n");
    }
    expect(decodeCursor(encodeCursor("dlv_01ABC"))).toBe("dlv_01ABC");
  });

  it("reads each page by a range of an index, never a sort of the whole table", () => {
    const harness = serveApp();
    const plan = (query: DeliveryPageQuery) => {
      const { sql, params } = deliveryPageSql(query);
      const rows = harness.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
      return rows.map((row) => row.detail);
    };
    const beforeId = "dlv_01KZZZZZZZZZZZZZZZZZZZZZZZ";
    const byStatus = plan({ status: "dead", beforeId, limit: 50 });
    expect(byStatus).toContainEqual(
      expect.stringMatching(/^SEARCH d USING INDEX deliveries_by_status \(status=\? AND id<\?\)$/),
    );
    const bare = plan({ beforeId, limit: 50 });
    expect(bare).toContainEqual(
      expect.stringMatching(/^SEARCH d USING INDEX sqlite_autoindex_deliveries_1 \(id<\?\)$/),
    );
    const byEndpoint = plan({ endpointName: "orders", beforeId, limit: 50 });
    expect(byEndpoint).toContainEqual(
      expect.stringMatching(/^SEARCH d USING INDEX deliveries_by_endpoint \(endpoint_id=\? AND id<\?\)$/),
    );
    expect([...byStatus, ...bare, ...byEndpoint].join("\n")).not.toContain("TEMP B-TREE");
  });
});

describe("POST /v1/deliveries/{id}/retry", () => {
  const retry = (harness: ReturnType<typeof serveApp>, id: string) =>
    retryDelivery(serveRequest(`/v1/deliveries/${id}/retry`, { method: "POST", ...byId(id) }), harness.app);

  it("requeues a dead delivery due now as a manual attempt, wakes the engine and answers 202", async () => {
    const harness = serveApp();
    const id = seedEvent(harness).deliveryIds[0] as string;
    harness.db
      .prepare("UPDATE deliveries SET schedule_attempts = 11, attempt_count = 11 WHERE id = ?")
      .run(id);
    setStatus(harness.db, id, "dead");
    harness.clock.now += 5000;

    const response = await retry(harness, id);
    expect(response.status).toBe(202);
    expect(harness.engine.wakes).toBe(1);
    const json = shaped(delivery, response.json);
    expect(json).toMatchObject({
      id,
      status: "pending",
      nextTrigger: "manual",
      scheduleAttempts: 0,
      attemptCount: 11,
      nextAttemptAt: new Date(harness.clock.now).toISOString(),
      completedAt: null,
    });
    expect(getDeliveryRow(harness.db, id)).toMatchObject({
      status: "pending",
      nextTrigger: "manual",
      scheduleAttempts: 0,
      nextAttemptAt: harness.clock.now,
    });
  });

  it("is 409 while an engine holds the delivery, and 404 for an unknown one; neither wakes the engine", async () => {
    const harness = serveApp();
    const id = seedEvent(harness).deliveryIds[0] as string;
    new Leases(harness.db).claimById(id, { now: harness.clock.now, leaseMs: 30_000, token: "t1" });
    const busy = await problemOf(() => retry(harness, id));
    expect(busy.status).toBe(409);
    expect(busy.detail).toBe(`delivery ${id} is in flight; retry it once its attempt has finished`);
    expect(getDeliveryRow(harness.db, id)?.status).toBe("in_flight");
    expect((await problemOf(() => retry(harness, "dlv_unknown"))).status).toBe(404);
    expect(harness.engine.wakes).toBe(0);
  });
});
