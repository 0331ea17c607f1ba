import { describe, expect, it } from "vitest";
import { ClaimAhead } from "../../src/delivery/send-claims.js";
import type { DeliveryRow } from "../../src/store/types.js";

const row = (index: number) => ({ id: `dlv_${index}` }) as DeliveryRow;

describe("ClaimAhead", () => {
  it("claims a batch per transaction, in order, and hands back what was never taken", () => {
    const transactions: number[][] = [];
    let current: number[] = [];
    const claims = new ClaimAhead(
      [0, 1, 2, 3, 4, 5, 6],
      3,
      (work) => {
        current = [];
        work();
        transactions.push(current);
      },
      (index) => {
        current.push(index);
        return index === 4 ? undefined : row(index);
      },
    );
    expect(claims.take(0)?.id).toBe("dlv_0");
    expect(claims.take(1)?.id).toBe("dlv_1");
    expect(claims.take(2)?.id).toBe("dlv_2");
    expect(claims.take(3)?.id).toBe("dlv_3");
    expect(claims.take(4)).toBeUndefined(); // another process holds it
    expect(transactions).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(claims.unsent().map((r) => r.id)).toEqual(["dlv_5"]);
  });

  it("a worker that starts out of order gets its row: the batch grows until it is in", () => {
    const claims = new ClaimAhead([0, 1, 2, 3, 4], 2, (work) => work(), row);
    expect(claims.take(3)?.id).toBe("dlv_3");
    expect(claims.unsent().map((r) => r.id)).toEqual(["dlv_0", "dlv_1", "dlv_2"]);
  });

  it("a batch whose transaction fails is forgotten, so it is never sent without a lease", () => {
    let fail = true;
    const claims = new ClaimAhead(
      [0, 1, 2],
      2,
      (work) => {
        work();
        if (fail) throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      },
      row,
    );
    expect(() => claims.take(0)).toThrow("database is locked");
    expect(claims.unsent()).toEqual([]);
    fail = false;
    expect(claims.take(0)?.id).toBe("dlv_0");
  });
});
