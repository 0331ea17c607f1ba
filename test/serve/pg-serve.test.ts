import { describe, expect, it } from "vitest";
import { decodeCursor } from "../../src/serve/cursor.js";
import type { ServeRequest, ServeResponse } from "../../src/serve/http.js";
import { ingestorFor } from "../../src/serve/ingest/ingestor.js";
import { ingestBatch, ingestEvent } from "../../src/serve/routes/ingest.js";
import { healthz, metrics, readyz } from "../../src/serve/routes/ops.js";
import { getDelivery, getEvent, listDeliveries, retryDelivery } from "../../src/serve/routes/read.js";
import { type IdPrefix, newId } from "../../src/store/ids.js";
import { type LogHandle, openLog } from "../../src/store/log-handle.js";
import { pgDeliveryPageSql } from "../../src/store/pg/delivery-page.js";
import { PgEngineStore } from "../../src/store/pg/engine-store.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { postgresForFile } from "../helpers/pg.js";
import { problemOf, serveApp, serveAppOn, serveRequest } from "../helpers/serve-app.js";

const pg = postgresForFile();

type Harness = ReturnType<typeof serveAppOn>;

/** A harness over a fresh PostgreSQL log (or `url`'s: a second `serve` on the same one). */
async function pgHarness(url?: string): Promise<Harness & { url: string }> {
  const at = url ?? (await pg.database());
  const log = await openLog(at, { poolSize: 6 });
  pg.defer(() => log.close());
  return { ...serveAppOn(log), url: at };
}

function post(body: string, headers: Record<string, string> = {}, path = "/v1/events"): ServeRequest {
  return {
    method: "POST",
    path,
    query: new URLSearchParams(),
    headers,
    params: {},
    body: async () => Buffer.from(body),
  };
}

async function addEndpoint(log: LogHandle, id: string, name: string, at: number, events?: string[]) {
  const url = `http://127.0.0.1:9/${name}`;
  if (log.backend === "sqlite") {
    seedEndpoint(log.db, { id, name, url, createdAt: at, events: events ?? null });
    return;
  }
  await log.pool.query(
    "INSERT INTO endpoints (id, name, url, scheme, events, created_at) VALUES ($1, $2, $3, 'hookctl', $4, $5)",
    [id, name, url, events ? JSON.stringify(events) : null, at],
  );
}

async function count(log: LogHandle, table: string): Promise<number> {
  if (log.backend === "sqlite")
    return log.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  const { rows } = await log.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]?.n ?? 0;
}

/** What a handler answered, as a client sees it: status, and JSON (or the problem). */
async function answer(call: () => Promise<ServeResponse> | ServeResponse): Promise<unknown> {
  try {
    const response = await call();
    const json = response.text !== undefined ? JSON.parse(response.text) : response.json;
    return { status: response.status, location: response.headers?.Location, json };
  } catch {
    const problem = await problemOf(call);
    return { status: problem.status, detail: problem.detail, headers: problem.headers };
  }
}

/** Ids from a counter instead of randomness: both backends make the same ones, in order. */
function countedIds(h: Harness): void {
  let n = 0;
  h.app.newId = (prefix) =>
    newId(prefix as IdPrefix, h.clock.now, (size) => {
      const bytes = new Uint8Array(size);
      new DataView(bytes.buffer).setUint32(size - 4, ++n);
      return bytes;
    });
}

/**
 * Ids replaced by their order of appearance: PostgreSQL plans an event before it learns its key
 * is a repeat, so it draws ids SQLite does not (unused, never shown). Cursors are decoded first.
 */
function masked(value: unknown): unknown {
  const seen = new Map<string, string>();
  const text = JSON.stringify(value)
    .replace(/"nextCursor":"([^"]+)"/g, (_, cursor: string) => `"nextCursor":"${decodeCursor(cursor)}"`)
    .replace(/(evt|dlv)_[0-9A-Z]{26}/g, (id, prefix: string) => {
      if (!seen.has(id)) seen.set(id, `${prefix}#${seen.size}`);
      return seen.get(id) as string;
    });
  return JSON.parse(text);
}

/** One client session against serve: ingest, repeats, a batch, reads, pages, a retry. */
async function session(h: Harness): Promise<unknown[]> {
  countedIds(h);
  const { app, clock } = h;
  await addEndpoint(app.log, "ep_o", "orders", clock.now, ["order.*"]);
  await addEndpoint(app.log, "ep_a", "all", clock.now);
  const answers: unknown[] = [];
  const record = async (call: () => Promise<ServeResponse> | ServeResponse) => {
    const got = await answer(call);
    answers.push(got);
    return got as { json: { id: string; deliveries: { id: string }[]; nextCursor?: string | null } };
  };
  const first = await record(() =>
    ingestEvent(post('{"type":"order.created","payload":{"n":1}}', { "idempotency-key": "k1" }), app),
  );
  clock.now += 1;
  await record(() =>
    ingestEvent(post('{"type":"order.created","payload":{"n":1}}', { "idempotency-key": "k1" }), app),
  );
  await record(() =>
    ingestEvent(post('{"type":"order.created","payload":{"n":2}}', { "idempotency-key": "k1" }), app),
  );
  clock.now += 1;
  await record(() =>
    ingestBatch(
      post(
        '{"events":[{"type":"user.made","payload":null,"id":"b1"},{"type":"order.paid","payload":[1],"id":"b2"},{"type":"user.made","payload":null,"id":"b1"}]}',
        {},
        "/v1/events:batch",
      ),
      app,
    ),
  );
  clock.now += 1;
  // Refused whole: b2 comes back with other bytes.
  await record(() =>
    ingestBatch(
      post(
        '{"events":[{"type":"x.y","payload":1},{"type":"order.paid","payload":[2],"id":"b2"}]}',
        {},
        "/v1/events:batch",
      ),
      app,
    ),
  );
  const eventId = first.json.id;
  await record(() => getEvent(serveRequest("", { params: { id: eventId } }), app));
  const deliveryId = first.json.deliveries[0]?.id as string;
  await record(() => getDelivery(serveRequest("", { params: { id: deliveryId.slice(-8) } }), app));
  const page = await record(() => listDeliveries(serveRequest("", { query: "limit=2" }), app));
  await record(() =>
    listDeliveries(serveRequest("", { query: `limit=2&cursor=${page.json.nextCursor as string}` }), app),
  );
  await record(() =>
    listDeliveries(serveRequest("", { query: "event=order.*&endpoint=orders&status=pending" }), app),
  );
  await record(() => listDeliveries(serveRequest("", { query: "event=u[a-z]er.*&since=1m" }), app));
  await record(() => listDeliveries(serveRequest("", { query: "endpoint=nobody" }), app));
  clock.now += 1;
  await record(() => retryDelivery(serveRequest("", { method: "POST", params: { id: deliveryId } }), app));
  await record(() => getEvent(serveRequest("", { params: { id: "ZZZZZZZZ" } }), app));
  await record(() => readyz(serveRequest("/readyz"), app));
  await record(() => healthz(serveRequest("/healthz"), app));
  answers.push(
    (await metrics(serveRequest("/metrics"), app)).text?.split("\n").filter((line) => !line.startsWith("#")),
  );
  return answers;
}

describe("serve on PostgreSQL", () => {
  it("answers a client session exactly as on SQLite (ids aside)", async () => {
    const lite = serveApp();
    const pgh = await pgHarness();
    const [onSqlite, onPostgres] = [await session(lite), await session(pgh)];
    expect(masked(onPostgres)).toEqual(masked(onSqlite));
    // The session exercised what it claims to: refusals, a 404, a 400, pages, the metrics.
    const statuses = (onSqlite.slice(0, -1) as { status: number }[]).map((a) => a.status);
    expect(statuses).toEqual([
      202, 202, 422, 202, 422, 200, 200, 200, 200, 200, 200, 400, 202, 404, 200, 200,
    ]);
    expect(onPostgres.at(-1)).toContain('hookctl_deliveries{status="pending"} 5');
    expect(await count(pgh.app.log, "events")).toBe(3);
    expect(await count(pgh.app.log, "idempotency_keys")).toBe(3);
    expect(await count(pgh.app.log, "deliveries")).toBe(5);
  });

  it("commits requests that arrive together in one group, a refused one leaving the others", async () => {
    const h = await pgHarness();
    await addEndpoint(h.app.log, "ep_a", "all", h.clock.now);
    await ingestEvent(post('{"type":"a","payload":0}', { "idempotency-key": "taken" }), h.app);
    const results = await Promise.allSettled([
      ingestEvent(post('{"type":"a","payload":1}'), h.app),
      ingestEvent(post('{"type":"b","payload":2}', { "idempotency-key": "taken" }), h.app),
      ingestEvent(post('{"type":"c","payload":3}', { "idempotency-key": "fresh" }), h.app),
    ]);
    expect(
      results.map((r) =>
        r.status === "fulfilled" ? r.value.status : (r.reason as { status: number }).status,
      ),
    ).toEqual([202, 422, 202]);
    expect(await count(h.app.log, "events")).toBe(3);
    expect(await count(h.app.log, "deliveries")).toBe(3);
    expect(h.app.stats.acceptedEvents).toBe(3);
  });

  it("makes one event of a key two serve processes race on, whatever the timing", async () => {
    const one = await pgHarness();
    const two = await pgHarness(one.url);
    await addEndpoint(one.app.log, "ep_a", "all", one.clock.now);
    for (let round = 0; round < 30; round++) {
      const same = round % 2 === 0;
      const [a, b] = await Promise.all([
        answer(() =>
          ingestEvent(post(`{"type":"r","payload":${round}}`, { "idempotency-key": `k${round}` }), one.app),
        ),
        answer(() =>
          ingestEvent(
            post(`{"type":"r","payload":${same ? round : -round - 1}}`, { "idempotency-key": `k${round}` }),
            two.app,
          ),
        ),
      ]);
      const answers = [a, b] as { status: number; json?: { id: string; duplicate: boolean } }[];
      const statuses = answers.map((x) => x.status).sort();
      if (same) {
        // One made it; the other got its answer as a duplicate (or was told to retry).
        expect(statuses[0]).toBe(202);
        const made = answers.filter((x) => x.status === 202 && x.json?.duplicate === false);
        expect(made).toHaveLength(1);
        for (const x of answers) if (x.status === 202) expect(x.json?.id).toBe(made[0]?.json?.id);
      } else {
        expect(statuses).toEqual([202, 422]);
      }
    }
    expect(await count(one.app.log, "events")).toBe(30);
    expect(await count(one.app.log, "deliveries")).toBe(30);
    expect(await count(one.app.log, "idempotency_keys")).toBe(30);
  });

  it("wakes the engines of every process on the log once new deliveries commit", async () => {
    const h = await pgHarness();
    if (h.app.log.backend !== "postgres") throw new Error("expected PostgreSQL");
    await addEndpoint(h.app.log, "ep_a", "all", h.clock.now);
    const store = new PgEngineStore(h.app.log.pool);
    pg.defer(() => store.close());
    let woken = 0;
    store.onWork(() => {
      woken++;
    });
    expect(await store.listening()).toBe(true);
    await ingestEvent(post('{"type":"a","payload":1}'), h.app);
    const deadline = Date.now() + 10_000;
    while (woken === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(woken).toBeGreaterThan(0);
  });

  it("prunes expired keys in batches and answers 409 for a delivery an engine holds", async () => {
    const h = await pgHarness();
    if (h.app.log.backend !== "postgres") throw new Error("expected PostgreSQL");
    await addEndpoint(h.app.log, "ep_a", "all", h.clock.now);
    h.app.idempotencyTtlMs = 60_000;
    for (const key of ["p1", "p2", "p3"]) {
      await ingestEvent(post('{"type":"a","payload":1}', { "idempotency-key": key }), h.app);
    }
    const ingestor = ingestorFor(h.app);
    expect(await ingestor.pruneKeys()).toBe(0);
    h.clock.now += 60_001;
    expect(await ingestor.pruneKeys(2)).toBe(2);
    expect(await ingestor.pruneKeys(2)).toBe(1);
    expect(await count(h.app.log, "idempotency_keys")).toBe(0);

    const { rows } = await h.app.log.pool.query<{ id: string }>("SELECT id FROM deliveries LIMIT 1");
    const id = rows[0]?.id as string;
    await h.app.log.pool.query(
      "UPDATE deliveries SET status = 'in_flight', lease_token = 't', lease_expires_at = $2 WHERE id = $1",
      [id, h.clock.now + 60_000],
    );
    const held = await problemOf(() =>
      retryDelivery(serveRequest("", { method: "POST", params: { id } }), h.app),
    );
    expect(held.status).toBe(409);
  });

  it("reads pages and metrics from indexes, not by scanning the deliveries", async () => {
    const h = await pgHarness();
    if (h.app.log.backend !== "postgres") throw new Error("expected PostgreSQL");
    const { pool } = h.app.log;
    await pool.query(`INSERT INTO events (id, type, body, content_type, created_at)
      SELECT 'evt_' || lpad(i::text, 26, '0'), 'a.b', '\\x00', 'application/json', i FROM generate_series(1, 20000) i`);
    await pool.query(`INSERT INTO deliveries (id, event_id, url, scheme, policy, timeout_ms, status, next_attempt_at,
        created_at, updated_at)
      SELECT 'dlv_' || lpad(i::text, 26, '0'), 'evt_' || lpad(i::text, 26, '0'), 'http://127.0.0.1:9/', 'hookctl', '{}',
        1000, CASE WHEN i % 100 = 0 THEN 'dead' WHEN i % 50 = 0 THEN 'pending' ELSE 'succeeded' END, i, i, i
      FROM generate_series(1, 20000) i`);
    await pool.query("ANALYZE events; ANALYZE deliveries");
    const client = await pool.connect();
    try {
      const plan = async (text: string, values: unknown[]) => {
        const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${text}`, values);
        return rows.map((row) => row["QUERY PLAN"]).join("\n");
      };
      const page = pgDeliveryPageSql({ limit: 50, beforeId: `dlv_${"10000".padStart(26, "0")}` });
      const byStatus = pgDeliveryPageSql({ limit: 50, status: "dead" });
      const plans = {
        page: await plan(page.text, page.values),
        byStatus: await plan(byStatus.text, byStatus.values),
        due: await plan(
          "SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1",
          [100],
        ),
      };
      expect(plans.page).toMatch(/Index Scan Backward using deliveries_pkey on deliveries d/);
      expect(plans.byStatus).toMatch(/using deliveries_by_status on deliveries d/);
      expect(plans.due).toMatch(/deliveries_due/);
      for (const text of Object.values(plans)) expect(text).not.toMatch(/Seq Scan on deliveries/);
    } finally {
      client.release();
    }
  });
});
