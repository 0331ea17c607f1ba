import { describe, expect, it } from "vitest";
import { openDb } from "../../src/store/open.js";
import { pendingSchedules } from "../../src/store/pending-schedules.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

describe("pendingSchedules", () => {
  it("a scope larger than one query's chunk gives the same groups as the whole log", () => {
    const db = openDb(tempDb());
    const url = "http://127.0.0.1:9/";
    const early = seedDeliveries(db, { url, now: 1_000, count: 12_000, policy: { retries: 3 } });
    const late = seedDeliveries(db, { url, now: 5_000, count: 9_000, policy: { retries: 3 } });
    const other = seedDeliveries(db, { url, now: 2_000, count: 3, policy: { retries: 1 } });
    const byPolicy = (rows: ReturnType<typeof pendingSchedules>) =>
      rows.map((row) => ({ ...row })).sort((a, b) => String(a.policy).localeCompare(String(b.policy)));
    const whole = byPolicy(pendingSchedules(db));
    expect(whole).toHaveLength(2);
    expect(byPolicy(pendingSchedules(db, [...early, ...late, ...other]))).toEqual(whole);
    // Only the early ones: the latest due time is theirs, across two chunks.
    expect(pendingSchedules(db, early)).toMatchObject([{ scheduleAttempts: 0, latestAt: 1_000 }]);
    db.close();
  });
});
