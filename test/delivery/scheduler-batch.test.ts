import { afterEach, describe, expect, it } from "vitest";
import { BatchedLeases } from "../../src/delivery/scheduler-batch.js";
import { getDelivery } from "../../src/store/deliveries.js";
import { type Db, openDb } from "../../src/store/open.js";
import type { AttemptRecord } from "../../src/store/types.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const now = Date.UTC(2026, 0, 1);
let db: Db | undefined;
afterEach(() => db?.close());

function leasedDelivery() {
  db = openDb(tempDb());
  const [id] = seedDeliveries(db, { now, url: "http://127.0.0.1:9/" }) as [string];
  const leases = new BatchedLeases(db, (error) => {
    throw error;
  });
  leases.claimById(id, { now, leaseMs: 60_000, token: "t" });
  const attempt: AttemptRecord = {
    deliveryId: id,
    number: 1,
    trigger: "initial",
    url: "http://127.0.0.1:9/",
    requestHeaders: {},
    startedAt: now,
    durationMs: 1,
    statusCode: 200,
    responseHeaders: {},
    responseBody: new Uint8Array(0),
    responseTruncated: false,
    errorClass: null,
    errorMessage: null,
  };
  leases.complete("t", attempt, { status: "succeeded" }, now);
  return { db, id, leases };
}

describe("BatchedLeases.writeWithin", () => {
  it("reports a record only after the caller's transaction committed", async () => {
    const { db, id, leases } = leasedDelivery();
    let settled = false;
    const recorded = leases.recorded(id).then((ok) => {
      settled = true;
      return ok;
    });
    let settle: ((committed: boolean) => void) | undefined;
    db.transaction(() => {
      settle = leases.writeWithin();
    }).immediate();
    await Promise.resolve();
    expect(settled).toBe(false);
    settle?.(true);
    expect(await recorded).toBe(true);
    expect(getDelivery(db, id)?.status).toBe("succeeded");
  });

  it("puts the records back when that transaction rolls back, and the next write records them", async () => {
    const { db, id, leases } = leasedDelivery();
    let settle: ((committed: boolean) => void) | undefined;
    expect(() =>
      db
        .transaction(() => {
          settle = leases.writeWithin();
          throw new Error("a later write in the same transaction failed");
        })
        .immediate(),
    ).toThrow("later write");
    settle?.(false);
    expect(getDelivery(db, id)?.status).toBe("in_flight");
    expect(leases.queued).toBe(1);
    leases.flush();
    expect(await leases.recorded(id)).toBe(true);
    expect(getDelivery(db, id)?.status).toBe("succeeded");
  });
});
