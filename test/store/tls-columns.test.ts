import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createEventWithDeliveries, getDelivery } from "../../src/store/deliveries.js";
import { migrations } from "../../src/store/migrations.js";
import { openDb } from "../../src/store/open.js";
import { requeueDeliveries } from "../../src/store/queue.js";
import type { TlsSetting } from "../../src/store/types.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const t0 = 1_700_000_000_000;
const url = "https://127.0.0.1:9/hook";
const ca: TlsSetting = {
  insecure: false,
  ca: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
};

describe("the TLS columns (migration 2)", () => {
  it("upgrade a log written before them: its deliveries keep the system's trust store", () => {
    const path = tempDb();
    const old = new Database(path);
    old.exec(migrations[0] as string);
    old.pragma("user_version = 1");
    old.exec(`INSERT INTO events VALUES ('evt_1', 'ping', x'7B7D', 'application/json', ${t0});
      INSERT INTO deliveries (id, event_id, url, scheme, policy, timeout_ms, status, created_at, updated_at)
      VALUES ('dlv_1', 'evt_1', '${url}', 'hookctl', '{}', 1000, 'pending', ${t0}, ${t0});`);
    old.close();
    const db = openDb(path);
    expect(db.pragma("user_version", { simple: true })).toBe(migrations.length);
    expect(getDelivery(db, "dlv_1")?.tls).toBeNull();
    db.close();
  });

  it("round-trip with the delivery; a requeue keeps, replaces or copies them", () => {
    const db = openDb(tempDb());
    const event = {
      id: "evt_2",
      type: "ping",
      body: Buffer.from("{}"),
      contentType: "application/json",
      createdAt: t0,
    };
    const base = {
      endpointId: null,
      url,
      scheme: "hookctl",
      extraHeaders: {},
      secrets: null,
      policy: "{}",
      timeoutMs: 1000,
    };
    createEventWithDeliveries(
      db,
      event,
      [
        { ...base, id: "dlv_ca", tls: ca },
        { ...base, id: "dlv_off", tls: { insecure: true, ca: null } },
      ],
      t0,
    );
    expect(getDelivery(db, "dlv_ca")?.tls).toEqual(ca);
    expect(getDelivery(db, "dlv_off")?.tls).toEqual({ insecure: true, ca: null });

    requeueDeliveries(db, ["dlv_ca"], { now: t0 + 1 });
    expect(getDelivery(db, "dlv_ca")?.tls).toEqual(ca);
    const [copy] = requeueDeliveries(db, ["dlv_ca"], { now: t0 + 2, newId: () => "dlv_copy" });
    expect(copy).toMatchObject({ deliveryId: "dlv_copy" });
    expect(getDelivery(db, "dlv_copy")?.tls).toEqual(ca);
    requeueDeliveries(db, ["dlv_off"], { now: t0 + 3, tls: null });
    expect(getDelivery(db, "dlv_off")?.tls).toBeNull();
    const [plain] = seedDeliveries(db, { url, now: t0 }) as [string];
    requeueDeliveries(db, [plain], { now: t0 + 4, tls: ca });
    expect(getDelivery(db, plain)?.tls).toEqual(ca);
    db.close();
  });
});

describe("a requeue redirected to another host", () => {
  it("does not carry the old host's TLS setting there; the same host keeps it", () => {
    const db = openDb(tempDb());
    const [moved, kept] = seedDeliveries(db, { url, now: t0, count: 2 });
    db.prepare("UPDATE deliveries SET tls_insecure = 1").run();
    requeueDeliveries(db, [moved as string], { now: t0, to: "https://prod.example.test/hook" });
    requeueDeliveries(db, [kept as string], { now: t0, to: "https://127.0.0.1:9/other-path" });
    expect(getDelivery(db, moved as string)?.tls).toBeNull();
    expect(getDelivery(db, kept as string)?.tls).toEqual({ insecure: true, ca: null });
    db.close();
  });
});
