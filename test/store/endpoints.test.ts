import { afterEach, describe, expect, it } from "vitest";
import { createEventWithDeliveries, getDelivery, listAttempts } from "../../src/store/deliveries.js";
import {
  activeSecrets,
  type EndpointRow,
  endpointDeliveryCounts,
  getEndpointByName,
  insertEndpoint,
  listEndpointSecrets,
  removeEndpoint,
  rotateEndpointSecret,
} from "../../src/store/endpoints.js";
import { type Db, openDb } from "../../src/store/open.js";
import { tempDb } from "../helpers/tmp.js";

let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

const t0 = Date.UTC(2026, 0, 15, 9, 0);
const hour = 3_600_000;

function endpoint(overrides: Partial<EndpointRow> = {}): EndpointRow {
  return {
    id: "ep_1",
    name: "orders",
    url: "http://127.0.0.1:9/hooks",
    scheme: "standard",
    ratePerSecond: null,
    concurrency: null,
    timeoutMs: null,
    policy: null,
    createdAt: t0,
    ...overrides,
  };
}

function addDelivery(database: Db, id: string, status = "pending"): void {
  createEventWithDeliveries(
    database,
    {
      id: `evt_${id}`,
      type: "order.created",
      body: Buffer.from("{}"),
      contentType: "application/json",
      createdAt: t0,
    },
    [
      {
        id,
        endpointId: "ep_1",
        url: "http://127.0.0.1:9/hooks",
        scheme: "standard",
        extraHeaders: {},
        secrets: null,
        policy: "{}",
        timeoutMs: 1000,
      },
    ],
    t0,
  );
  database.prepare("UPDATE deliveries SET status = ? WHERE id = ?").run(status, id);
}

describe("rotateEndpointSecret", () => {
  it("makes the new secret primary and keeps the old one valid until the grace ends", () => {
    db = openDb(tempDb());
    insertEndpoint(db, endpoint(), ["whsec_old"]);
    const result = rotateEndpointSecret(db, "ep_1", "whsec_new", t0 + hour, 24 * hour);
    expect(result).toEqual({ retiring: 1, expiresAt: t0 + 25 * hour });
    expect(activeSecrets(db, "ep_1", t0 + hour)).toEqual(["whsec_new", "whsec_old"]);
    expect(activeSecrets(db, "ep_1", t0 + 25 * hour - 1)).toEqual(["whsec_new", "whsec_old"]);
    expect(activeSecrets(db, "ep_1", t0 + 25 * hour)).toEqual(["whsec_new"]);
    expect(listEndpointSecrets(db, "ep_1").map((s) => [s.secret, s.expiresAt])).toEqual([
      ["whsec_new", null],
      ["whsec_old", t0 + 25 * hour],
    ]);
  });

  it("a grace of 0 retires the old secret at once; a rotation in the same millisecond still orders by insertion", () => {
    db = openDb(tempDb());
    insertEndpoint(db, endpoint(), ["whsec_a"]);
    rotateEndpointSecret(db, "ep_1", "whsec_b", t0, 0);
    expect(activeSecrets(db, "ep_1", t0)).toEqual(["whsec_b"]);
    rotateEndpointSecret(db, "ep_1", "whsec_c", t0, hour);
    expect(activeSecrets(db, "ep_1", t0)).toEqual(["whsec_c", "whsec_b"]);
  });

  it("never extends a secret that already expires sooner", () => {
    db = openDb(tempDb());
    insertEndpoint(db, endpoint(), ["whsec_a"]);
    rotateEndpointSecret(db, "ep_1", "whsec_b", t0, hour);
    rotateEndpointSecret(db, "ep_1", "whsec_c", t0, 48 * hour);
    const byName = Object.fromEntries(listEndpointSecrets(db, "ep_1").map((s) => [s.secret, s.expiresAt]));
    expect(byName).toEqual({ whsec_a: t0 + hour, whsec_b: t0 + 48 * hour, whsec_c: null });
    expect(listEndpointSecrets(db, "ep_1", t0 + 2 * hour).map((s) => s.secret)).toEqual([
      "whsec_c",
      "whsec_b",
    ]);
  });
});

describe("removeEndpoint", () => {
  it("refuses while deliveries wait, unless forced: then they become dead and history stays", () => {
    db = openDb(tempDb());
    insertEndpoint(db, endpoint(), ["whsec_a"]);
    addDelivery(db, "dlv_waiting");
    addDelivery(db, "dlv_done", "succeeded");
    expect(endpointDeliveryCounts(db, "ep_1")).toEqual({ pending: 1, in_flight: 0, succeeded: 1, dead: 0 });

    expect(removeEndpoint(db, "ep_1", { force: false, now: t0 })).toEqual({
      waiting: 1,
      abandoned: 0,
      inFlight: [],
      removed: false,
    });
    expect(getEndpointByName(db, "orders")).toBeDefined();

    expect(removeEndpoint(db, "ep_1", { force: true, now: t0 + 1 })).toEqual({
      waiting: 1,
      abandoned: 1,
      inFlight: [],
      removed: true,
    });
    expect(getEndpointByName(db, "orders")).toBeUndefined();
    expect(db.prepare("SELECT COUNT(*) FROM endpoint_secrets").pluck().get()).toBe(0);
    expect(getDelivery(db, "dlv_waiting")).toMatchObject({
      status: "dead",
      endpointId: null,
      lastError: "endpoint removed",
      completedAt: t0 + 1,
    });
    expect(getDelivery(db, "dlv_done")).toMatchObject({
      status: "succeeded",
      endpointId: null,
      url: "http://127.0.0.1:9/hooks",
    });
    expect(listAttempts(db, "dlv_done")).toEqual([]);
  });

  it("removes an endpoint with only finished deliveries without --force", () => {
    db = openDb(tempDb());
    insertEndpoint(db, endpoint(), []);
    addDelivery(db, "dlv_dead", "dead");
    expect(removeEndpoint(db, "ep_1", { force: false, now: t0 })).toMatchObject({
      removed: true,
      waiting: 0,
    });
  });
});
