import { describe, expect, it, onTestFinished } from "vitest";
import type { EndpointRow } from "../../../src/store/endpoints.js";
import { type LogHandle, openLog } from "../../../src/store/log-handle.js";
import { type EndpointStore, endpointStoreOf } from "../../../src/store/ports/endpoints.js";
import { waitFor } from "../../helpers/bin.js";
import { postgresForFile } from "../../helpers/pg.js";
import { seedPgDeliveries } from "../../helpers/pg-log.js";
import { type SeedOptions, seedDeliveries } from "../../helpers/scheduler-kit.js";
import { tempDb } from "../../helpers/tmp.js";

const pg = postgresForFile();
const t0 = Date.UTC(2026, 0, 15, 9, 0);
const hour = 3_600_000;
const url = "http://127.0.0.1:9/hooks";

/** One fresh log through the port, and the few raw reads and writes the tests make beside it. */
interface PortLog {
  store: EndpointStore;
  seed(options: Omit<SeedOptions, "url" | "now">): Promise<string[]>;
  /** SQL with $1, $2, … (each used once, in order), run on either backend. */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

async function portLog(log: LogHandle): Promise<PortLog> {
  onTestFinished(() => log.close());
  const store = endpointStoreOf(log);
  if (log.backend === "sqlite") {
    const { db } = log;
    return {
      store,
      seed: async (options) => seedDeliveries(db, { url, now: t0, ...options }),
      query: async (sql, params = []) => {
        const statement = db.prepare(sql.replace(/\$\d+/g, "?"));
        if (!statement.reader) {
          statement.run(...params);
          return [];
        }
        return statement.all(...params) as Record<string, unknown>[];
      },
    };
  }
  const { pool } = log;
  return {
    store,
    seed: (options) => seedPgDeliveries(pool, { url, now: t0, ...options }),
    query: async (sql, params = []) => (await pool.query(sql, params)).rows,
  };
}

const backends = [
  { name: "sqlite", open: async () => portLog(await openLog(tempDb())) },
  { name: "postgres", open: async () => portLog(await openLog(await pg.database())) },
];

function endpoint(overrides: Partial<EndpointRow> = {}): EndpointRow {
  return {
    id: "ep_1",
    name: "orders",
    url,
    scheme: "standard",
    ratePerSecond: null,
    concurrency: null,
    timeoutMs: null,
    policy: null,
    tls: null,
    events: null,
    createdAt: t0,
    ...overrides,
  };
}

describe.each(backends)("EndpointStore on $name", (backend) => {
  it("refuses a second endpoint of the same name, storing nothing of it", async () => {
    const log = await backend.open();
    expect(await log.store.insertEndpoint(endpoint(), ["whsec_c2VjcmV0LW9uZS0xMjM0NTY3OA=="])).toBe(true);
    expect(
      await log.store.insertEndpoint(endpoint({ id: "ep_2" }), ["whsec_c2VjcmV0LW9uZS0xMjM0NTY3OA=="]),
    ).toBe(false);
    expect(await log.store.listEndpoints()).toHaveLength(1);
    expect(await log.store.listEndpointSecrets("ep_2")).toEqual([]);
  });

  it("stores every setting and reads it back by name, by id and in byte order of names", async () => {
    const { store } = await backend.open();
    const full = endpoint({
      id: "ep_full",
      name: "b-full",
      ratePerSecond: 2.5,
      concurrency: 3,
      timeoutMs: 1500,
      policy: '{"retries":4}',
      tls: { insecure: false, ca: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n" },
      events: ["order.*", "invoice.paid"],
    });
    await store.insertEndpoint(full, ["whsec_a"]);
    await store.insertEndpoint(endpoint({ id: "ep_a", name: "a", tls: { insecure: true, ca: null } }), []);
    await store.insertEndpoint(endpoint({ id: "ep_B", name: "B", events: [] }), []);

    expect(await store.getEndpointByName("b-full")).toEqual(full);
    expect(await store.getEndpointById("ep_full")).toEqual(full);
    expect(await store.getEndpointByName("nope")).toBeUndefined();
    expect(await store.getEndpointById("ep_nope")).toBeUndefined();
    const listed = await store.listEndpoints();
    expect(listed.map((e) => e.name)).toEqual(["B", "a", "b-full"]);
    expect(listed.map((e) => [e.tls, e.events])).toEqual([
      [null, []],
      [{ insecure: true, ca: null }, null],
      [full.tls, full.events],
    ]);
  });

  it("signs with the secrets valid now, newest first; the last of several given is primary", async () => {
    const { store } = await backend.open();
    await store.insertEndpoint(endpoint(), ["whsec_first", "whsec_second"]);
    expect(await store.activeSecrets("ep_1", t0)).toEqual(["whsec_second", "whsec_first"]);
    const rows = await store.listEndpointSecrets("ep_1");
    expect(
      rows.map(({ endpointId, secret, createdAt, expiresAt }) => ({
        endpointId,
        secret,
        createdAt,
        expiresAt,
      })),
    ).toEqual([
      { endpointId: "ep_1", secret: "whsec_second", createdAt: t0, expiresAt: null },
      { endpointId: "ep_1", secret: "whsec_first", createdAt: t0, expiresAt: null },
    ]);
    expect(typeof rows[0]?.id).toBe("number");
  });

  it("rotates: the new secret is primary, the old ones expire after the grace, never later than they did", async () => {
    const { store } = await backend.open();
    await store.insertEndpoint(endpoint(), ["whsec_a"]);
    expect(await store.rotateEndpointSecret("ep_1", "whsec_b", t0, hour)).toEqual({
      retiring: 1,
      expiresAt: t0 + hour,
    });
    expect(await store.rotateEndpointSecret("ep_1", "whsec_c", t0, 48 * hour)).toEqual({
      retiring: 1,
      expiresAt: t0 + 48 * hour,
    });
    const byName = Object.fromEntries(
      (await store.listEndpointSecrets("ep_1")).map((s) => [s.secret, s.expiresAt]),
    );
    expect(byName).toEqual({ whsec_a: t0 + hour, whsec_b: t0 + 48 * hour, whsec_c: null });
    expect(await store.activeSecrets("ep_1", t0 + 2 * hour)).toEqual(["whsec_c", "whsec_b"]);
    expect((await store.listEndpointSecrets("ep_1", t0 + 2 * hour)).map((s) => s.secret)).toEqual([
      "whsec_c",
      "whsec_b",
    ]);
    // A grace of 0 retires the rest at once.
    expect(await store.rotateEndpointSecret("ep_1", "whsec_d", t0 + 3 * hour, 0)).toMatchObject({
      retiring: 2,
    });
    expect(await store.activeSecrets("ep_1", t0 + 3 * hour)).toEqual(["whsec_d"]);
  });

  it("rotations at the same time queue up: one primary is left, every other secret expires", async () => {
    const { store } = await backend.open();
    await store.insertEndpoint(endpoint(), ["whsec_a"]);
    const results = await Promise.all(
      ["whsec_x", "whsec_y", "whsec_z"].map((secret) => store.rotateEndpointSecret("ep_1", secret, t0, hour)),
    );
    expect(results.map((r) => r.retiring).sort()).toEqual([1, 1, 1]);
    const secrets = await store.listEndpointSecrets("ep_1");
    expect(secrets.filter((s) => s.expiresAt === null)).toHaveLength(1);
    expect(secrets[0]?.expiresAt).toBeNull();
  });

  it("sets the subscription by name and reads the endpoint back with its secrets valid now", async () => {
    const { store } = await backend.open();
    await store.insertEndpoint(endpoint(), ["whsec_a"]);
    await store.rotateEndpointSecret("ep_1", "whsec_b", t0, hour);
    const changed = await store.setEndpointEvents("orders", ["order.*"], t0 + 2 * hour);
    expect(changed?.endpoint).toEqual(endpoint({ events: ["order.*"] }));
    expect(changed?.secrets.map((s) => s.secret)).toEqual(["whsec_b"]);
    expect((await store.getEndpointByName("orders"))?.events).toEqual(["order.*"]);
    expect((await store.setEndpointEvents("orders", null, t0))?.endpoint.events).toBeNull();
    expect((await store.getEndpointByName("orders"))?.events).toBeNull();
    expect(await store.setEndpointEvents("nope", ["x"], t0)).toBeUndefined();
  });

  it("counts deliveries by status; removal waits for waiting ones unless forced", async () => {
    const log = await backend.open();
    const { store } = log;
    await store.insertEndpoint(endpoint(), ["whsec_a"]);
    const [pending, flying, done] = await log.seed({ count: 3, endpointId: "ep_1" });
    await log.query(
      "UPDATE deliveries SET status = 'in_flight', lease_token = $1, attempt_count = 2 WHERE id = $2",
      ["lease-1", flying],
    );
    await log.query("UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE id = $1", [
      done,
    ]);
    expect(await store.endpointDeliveryCounts("ep_1")).toEqual({
      pending: 1,
      in_flight: 1,
      succeeded: 1,
      dead: 0,
    });

    expect(await store.removeEndpoint("ep_1", { force: false, now: t0 })).toEqual({
      waiting: 2,
      abandoned: 0,
      inFlight: [],
      removed: false,
    });
    expect(await store.getEndpointByName("orders")).toBeDefined();

    await log.query("INSERT INTO alert_sinks (name, created_at) VALUES ($1, $2)", ["ops", t0]);
    await log.query("INSERT INTO alert_sinks (name, created_at) VALUES ($1, $2)", ["pager", t0]);
    expect(await store.removeEndpoint("ep_1", { force: true, now: t0 + 1 })).toEqual({
      waiting: 2,
      abandoned: 2,
      inFlight: [],
      removed: true,
    });
    expect(await store.getEndpointByName("orders")).toBeUndefined();
    expect(await log.query("SELECT count(*) AS n FROM endpoint_secrets")).toEqual([{ n: 0 }]);
    const rows = await log.query(
      `SELECT id, status, endpoint_id, url, lease_token, next_attempt_at, last_error, completed_at
       FROM deliveries ORDER BY id`,
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of [pending, flying]) {
      expect(byId.get(id)).toEqual({
        id,
        status: "dead",
        endpoint_id: null,
        url,
        lease_token: null,
        next_attempt_at: null,
        last_error: "endpoint removed",
        completed_at: t0 + 1,
      });
    }
    expect(byId.get(done)).toMatchObject({ status: "succeeded", endpoint_id: null, url });

    // Each death alerted once per sink, in the same transaction; ids name the death.
    const alerts = await log.query(
      "SELECT id, sink, delivery_id, status, next_attempt_at, created_at FROM alerts ORDER BY id, sink",
    );
    const alertId = (id: string | undefined, count: number) => `alr_${id?.slice(4)}_${count}`;
    expect(alerts).toEqual(
      [
        ...["ops", "pager"].map((sink) => ({ id: alertId(pending, 0), sink, delivery_id: pending })),
        ...["ops", "pager"].map((sink) => ({ id: alertId(flying, 2), sink, delivery_id: flying })),
      ]
        .map((alert) => ({ ...alert, status: "pending", next_attempt_at: t0 + 1, created_at: t0 + 1 }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.sink < b.sink ? -1 : 1)),
    );
  });

  it("forced removal leaves an attempt running under a live lease to be recorded, then removes once it is", async () => {
    const log = await backend.open();
    const { store } = log;
    await store.insertEndpoint(endpoint(), ["whsec_a"]);
    const [waiting, running, stale] = await log.seed({ count: 3, endpointId: "ep_1" });
    // One attempt running now (its lease ends in a minute); one whose holder died (lease over).
    // Parameters in the order they appear: the SQLite side numbers them by position.
    await log.query(
      "UPDATE deliveries SET status = 'in_flight', lease_token = 'live', lease_expires_at = $1 WHERE id = $2",
      [t0 + 60_000, running],
    );
    await log.query(
      "UPDATE deliveries SET status = 'in_flight', lease_token = 'gone', lease_expires_at = $1 WHERE id = $2",
      [t0 - 1, stale],
    );
    expect(await store.removeEndpoint("ep_1", { force: true, now: t0 })).toEqual({
      waiting: 3,
      abandoned: 2,
      inFlight: [running],
      removed: false,
    });
    expect(await store.getEndpointByName("orders")).toBeDefined();
    const status = async (id: string | undefined) =>
      (await log.query("SELECT status, lease_token FROM deliveries WHERE id = $1", [id]))[0];
    expect(await status(waiting)).toEqual({ status: "dead", lease_token: null });
    expect(await status(stale)).toEqual({ status: "dead", lease_token: null });
    expect(await status(running)).toEqual({ status: "in_flight", lease_token: "live" });
    // Its attempt is recorded with a retry scheduled: the next look gives that up and removes.
    await log.query(
      "UPDATE deliveries SET status = 'pending', lease_token = NULL, lease_expires_at = NULL, attempt_count = 1, next_attempt_at = $1 WHERE id = $2",
      [t0 + 1000, running],
    );
    expect(
      await store.removeEndpoint("ep_1", { force: true, now: t0 + 10, sparing: [running as string] }),
    ).toEqual({
      waiting: 1,
      abandoned: 1,
      inFlight: [],
      removed: true,
    });
    expect(await status(running)).toEqual({ status: "dead", lease_token: null });
    expect(await store.getEndpointByName("orders")).toBeUndefined();
  });

  it("forced removal spares only what was in flight when it began; a later claim, or the bound, gives up", async () => {
    const log = await backend.open();
    const { store } = log;
    await store.insertEndpoint(endpoint(), []);
    const [first, later] = await log.seed({ count: 2, endpointId: "ep_1" });
    const lease = (id: string | undefined) =>
      log.query(
        "UPDATE deliveries SET status = 'in_flight', lease_token = 'live', lease_expires_at = $1 WHERE id = $2",
        [t0 + 60_000, id],
      );
    await lease(first);
    expect((await store.removeEndpoint("ep_1", { force: true, now: t0 })).inFlight).toEqual([first]);
    // Created and claimed after the removal began: not waited for.
    await log.query("UPDATE deliveries SET status = 'pending', lease_token = NULL WHERE id = $1", [later]);
    await lease(later);
    expect(
      await store.removeEndpoint("ep_1", { force: true, now: t0 + 1, sparing: [first as string] }),
    ).toMatchObject({
      abandoned: 1,
      inFlight: [first],
      removed: false,
    });
    // Past the bound: nothing is spared any more.
    expect(await store.removeEndpoint("ep_1", { force: true, now: t0 + 2, sparing: [] })).toMatchObject({
      abandoned: 1,
      inFlight: [],
      removed: true,
    });
  });

  it("a repeat death at the same attempt count gets an alert id of its own", async () => {
    const log = await backend.open();
    const { store } = log;
    await store.insertEndpoint(endpoint(), []);
    const [id] = await log.seed({ endpointId: "ep_1" });
    await log.query("INSERT INTO alert_sinks (name, created_at) VALUES ($1, $2)", ["ops", t0]);
    await log.query(
      "INSERT INTO alerts (id, sink, delivery_id, status, next_attempt_at, created_at) VALUES ($1, $2, $3, 'sent', $4, $5)",
      [`alr_${id?.slice(4)}_0`, "ops", id, t0, t0],
    );
    expect(await store.removeEndpoint("ep_1", { force: true, now: t0 + 5 })).toMatchObject({ abandoned: 1 });
    expect((await log.query("SELECT id FROM alerts ORDER BY id")).map((row) => row.id)).toEqual([
      `alr_${id?.slice(4)}_0`,
      `alr_${id?.slice(4)}_0_2`,
    ]);
  });

  it("removes an endpoint with only finished deliveries without force; no alert is queued", async () => {
    const log = await backend.open();
    await log.store.insertEndpoint(endpoint(), []);
    const [id] = await log.seed({ endpointId: "ep_1" });
    await log.query("UPDATE deliveries SET status = 'dead', next_attempt_at = NULL WHERE id = $1", [id]);
    await log.query("INSERT INTO alert_sinks (name, created_at) VALUES ($1, $2)", ["ops", t0]);
    expect(await log.store.removeEndpoint("ep_1", { force: false, now: t0 })).toEqual({
      waiting: 0,
      abandoned: 0,
      inFlight: [],
      removed: true,
    });
    expect(await log.query("SELECT id FROM alerts")).toEqual([]);
    expect(await log.store.endpointDeliveryCounts("ep_1")).toEqual({
      pending: 0,
      in_flight: 0,
      succeeded: 0,
      dead: 0,
    });
  });
});

describe("PgEndpointStore: one endpoint's changes queue up as SQLite's write lock makes them", () => {
  it("two rotations that overlap leave one primary: the second sees the first's secret", async () => {
    const url = await pg.database();
    const log = await openLog(url);
    onTestFinished(() => log.close());
    const store = endpointStoreOf(log);
    await store.insertEndpoint(endpoint(), ["whsec_a"]);
    // Hold the old secret's row so both rotations are under way before either can finish.
    const { pool: holder } = await pg.pool(url);
    const client = await holder.connect();
    await client.query("BEGIN");
    await client.query("SELECT 1 FROM endpoint_secrets FOR UPDATE");
    const rotations = Promise.all(
      ["whsec_x", "whsec_y"].map((secret) => store.rotateEndpointSecret("ep_1", secret, t0, hour)),
    );
    await waitFor(async () => {
      const { rows } = await holder.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      return rows[0]?.n === 2 ? true : undefined;
    });
    await client.query("COMMIT");
    client.release();
    await rotations;
    const secrets = await store.listEndpointSecrets("ep_1");
    expect(secrets.filter((s) => s.expiresAt === null).map((s) => s.secret)).toHaveLength(1);
  });
});

describe("PgEndpointStore: forced removal against a claim committing meanwhile", () => {
  it("sees the claim as committed (waits on its row lock): the delivery is spared, the endpoint stays", async () => {
    const url = await pg.database();
    const log = await openLog(url);
    onTestFinished(() => log.close());
    const store = endpointStoreOf(log);
    await store.insertEndpoint(endpoint(), ["whsec_a"]);
    const { pool } = await pg.pool(url);
    const [id] = await seedPgDeliveries(pool, { url: "http://127.0.0.1:9/", now: t0, endpointId: "ep_1" });
    // A scheduler's claim, its row lock held until it commits.
    const claimer = await pool.connect();
    await claimer.query("BEGIN");
    await claimer.query(
      "UPDATE deliveries SET status = 'in_flight', lease_token = 'tok', lease_expires_at = $2 WHERE id = $1",
      [id, t0 + 60_000],
    );
    const removing = store.removeEndpoint("ep_1", { force: true, now: t0 });
    await waitFor(async () => {
      const { rows } = await pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      return rows[0]?.n === 1 ? true : undefined;
    });
    await claimer.query("COMMIT");
    claimer.release();
    expect(await removing).toEqual({ waiting: 1, abandoned: 0, inFlight: [id], removed: false });
    expect(await store.getEndpointByName("orders")).toBeDefined();
    const { rows } = await pool.query(
      "SELECT status, endpoint_id, lease_token FROM deliveries WHERE id = $1",
      [id],
    );
    expect(rows[0]).toEqual({ status: "in_flight", endpoint_id: "ep_1", lease_token: "tok" });
  });
});
