import { afterEach, describe, expect, it } from "vitest";
import { DeliveryBrowser } from "../../src/store/browse.js";
import { type Db, openDb } from "../../src/store/open.js";
import { tempDb } from "../helpers/tmp.js";
import { seedDead, seedDelivery } from "../tui/seed.js";

const open: Db[] = [];
function db(path = tempDb()): Db {
  const handle = openDb(path);
  open.push(handle);
  return handle;
}
afterEach(() => {
  for (const handle of open.splice(0)) handle.close();
});

describe("DeliveryBrowser", () => {
  it("counts each status and all of them", () => {
    const log = db();
    seedDead(log, 3);
    seedDelivery(log, { status: "pending" });
    seedDelivery(log, { status: "succeeded" });
    seedDelivery(log, { status: "in_flight" });
    expect(new DeliveryBrowser(log).counts()).toEqual({
      dead: 3,
      pending: 1,
      in_flight: 1,
      succeeded: 1,
      all: 6,
    });
  });

  it("pages newest first from a cursor (inclusive), joined with event type and endpoint name", () => {
    const log = db();
    const ids = seedDead(log, 5);
    seedDelivery(log, { status: "pending", agoMs: 1 });
    const named = seedDelivery(log, { endpoint: "orders", type: "invoice.paid", agoMs: 2 });
    const browser = new DeliveryBrowser(log);
    const first = browser.page({ status: "dead" }, null, 3);
    expect(first.map((row) => row.id)).toEqual([named, ids[4], ids[3]]);
    expect(first[0]).toMatchObject({
      eventType: "invoice.paid",
      endpointName: "orders",
      status: "dead",
      attemptCount: 1,
    });
    expect(first[0]?.lastStatusCode).toBe(503);
    expect(browser.page({ status: "dead" }, ids[3] as string, 10).map((row) => row.id)).toEqual([
      ids[3],
      ids[2],
      ids[1],
      ids[0],
    ]);
    expect(browser.page({ status: "all" }, null, 10)).toHaveLength(7);
  });

  it("steps n rows either way from an id, stopping at the furthest that exists, even from a vanished id", () => {
    const log = db();
    const ids = seedDead(log, 6);
    const browser = new DeliveryBrowser(log);
    const q = { status: "dead" as const };
    expect(browser.step(q, ids[4] as string, "older", 1)).toBe(ids[3]);
    expect(browser.step(q, ids[4] as string, "older", 3)).toBe(ids[1]);
    expect(browser.step(q, ids[1] as string, "older", 10)).toBe(ids[0]);
    expect(browser.step(q, ids[0] as string, "older", 1)).toBeUndefined();
    expect(browser.step(q, ids[2] as string, "newer", 2)).toBe(ids[4]);
    expect(browser.step(q, ids[5] as string, "newer", 1)).toBeUndefined();
    log.prepare("DELETE FROM attempts WHERE delivery_id = ?").run(ids[3]);
    log.prepare("DELETE FROM deliveries WHERE id = ?").run(ids[3]);
    expect(browser.step(q, ids[3] as string, "older", 1)).toBe(ids[2]);
    expect(browser.step(q, ids[3] as string, "newer", 1)).toBe(ids[4]);
    expect(browser.edge(q, "newest")).toBe(ids[5]);
    expect(browser.edge(q, "oldest")).toBe(ids[0]);
    expect(browser.edge({ status: "pending" }, "newest")).toBeUndefined();
  });

  it("filters by event type, URL, endpoint name or id, case-insensitively, with LIKE wildcards taken literally", () => {
    const log = db();
    const order = seedDelivery(log, { type: "order.created", agoMs: 5000 });
    const invoice = seedDelivery(log, {
      type: "invoice.paid",
      url: "https://billing.example/hook",
      agoMs: 4000,
    });
    const named = seedDelivery(log, { type: "user.deleted", endpoint: "crm-prod", agoMs: 3000 });
    const percent = seedDelivery(log, { type: "odd%type", agoMs: 2000 });
    const browser = new DeliveryBrowser(log);
    const ids = (filter: string) => browser.page({ status: "dead", filter }, null, 10).map((row) => row.id);
    expect(ids("ORDER")).toEqual([order]);
    expect(ids("billing.example")).toEqual([invoice]);
    expect(ids("crm")).toEqual([named]);
    expect(ids(invoice.slice(-6).toLowerCase())).toEqual([invoice]);
    expect(ids("%")).toEqual([percent]);
    expect(ids("r_c")).toEqual([]); // "_" would match the "." in "order.created" as a wildcard
    expect(ids("  ")).toHaveLength(4);
    expect(browser.step({ status: "dead", filter: "o" }, percent, "older", 1)).toBe(named);
  });

  it("counts filter matches up to a cap", () => {
    const log = db();
    seedDead(log, 12, (i) => (i % 2 === 0 ? "order.created" : "invoice.paid"));
    const browser = new DeliveryBrowser(log);
    expect(browser.countMatching({ status: "dead", filter: "order" }, 100)).toEqual({
      count: 6,
      capped: false,
    });
    expect(browser.countMatching({ status: "all", filter: "e" }, 5)).toEqual({ count: 5, capped: true });
  });

  it("sees another connection's commits in its change mark (data_version), not its own", () => {
    const path = tempDb();
    const mine = db(path);
    const other = db(path);
    const browser = new DeliveryBrowser(mine);
    const before = browser.changeMark();
    seedDelivery(mine);
    expect(browser.changeMark()).toBe(before);
    seedDelivery(other);
    expect(browser.changeMark()).not.toBe(before);
  });

  it("finds one row only while it still matches the query", () => {
    const log = db();
    const [id] = seedDead(log, 1);
    const browser = new DeliveryBrowser(log);
    expect(browser.find({ status: "dead" }, id as string)?.id).toBe(id);
    expect(browser.find({ status: "pending" }, id as string)).toBeUndefined();
    expect(browser.find({ status: "all", filter: "nothing-like-this" }, id as string)).toBeUndefined();
  });
});
