import { describe, expect, it } from "vitest";
import { deliveryDetail } from "../../src/contract/schema/delivery.js";
import { storedHeaderObject, storedPolicy } from "../../src/contract/schema/stored.js";
import { parsePolicy } from "../../src/delivery/policy.js";
import { ExitCode } from "../../src/errors.js";
import { getDelivery } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { DamagedRowError, parseStoredJson } from "../../src/store/stored-json.js";
import { runBin } from "../helpers/bin.js";
import { shaped } from "../helpers/contract.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

function fault(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DamagedRowError);
    expect((error as DamagedRowError).exitCode).toBe(ExitCode.usage);
    return (error as Error).message;
  }
  throw new Error("expected a DamagedRowError");
}

describe("stored JSON is checked, not cast", () => {
  it("names the row, the column and the fault", () => {
    expect(
      fault(() => parseStoredJson(storedHeaderObject, '{"a":{}}', "deliveries dlv_1 extra_headers")),
    ).toBe(
      "the delivery log has a damaged row: deliveries dlv_1 extra_headers: a: expected string, got object",
    );
    expect(
      fault(() => parseStoredJson(storedHeaderObject, "{oops", "deliveries dlv_1 extra_headers")),
    ).toMatch(/dlv_1 extra_headers: not valid JSON$/);
    expect(fault(() => parsePolicy('{"retries":"ten"}', "deliveries dlv_2 policy"))).toMatch(
      /dlv_2 policy: retries: expected number, got string$/,
    );
    expect(parseStoredJson(storedPolicy, '{"retries":3}', "x")).toEqual({ retries: 3 });
  });
});

describe("one damaged row does not break the log", () => {
  it("log, log show and dlq list show it (with what is wrong); replay shelves it and sends the rest", async () => {
    const path = tempDb();
    const db = openDb(path);
    const now = Date.now();
    const [bad, good] = seedDeliveries(db, {
      url: "http://127.0.0.1:9/",
      now,
      count: 2,
      policy: { retries: 0 },
    });
    db.prepare("UPDATE deliveries SET extra_headers = ?, policy = ? WHERE id = ?").run(
      '{"X-A": 1}',
      "{oops",
      bad,
    );
    const row = getDelivery(db, bad as string);
    expect(row?.damage).toBe(
      `deliveries ${bad} extra_headers: X-A: expected string, got number; deliveries ${bad} policy: not valid JSON`,
    );
    expect(row?.extraHeaders).toEqual({});
    db.close();
    const env = { HOOKCTL_DB: path };

    const log = await runBin(["log", "--json"], { env });
    expect(log.code).toBe(0);
    const listed = log.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string; damage: string | null });
    // Both made in the same millisecond: their order in the list depends on the ids' random part.
    expect(new Map(listed.map((d) => [d.id, d.damage !== null]))).toEqual(
      new Map([
        [good, false],
        [bad, true],
      ]),
    );
    const shown = await runBin(["log", "show", bad as string], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/damaged\s+deliveries .* extra_headers: X-A: expected string, got number/);

    // Port 9 (discard) refuses: the good row is attempted and, with no retries, goes dead too.
    const replay = await runBin(["replay", "--json"], { env });
    expect(replay.stderr).not.toMatch(/this is a bug/);
    // The shelved row counts as dead in the run: replay says so and exits 1.
    expect(replay.code).toBe(1);
    const events = replay.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; dead?: number; delivery?: { id: string } });
    expect(events.filter((event) => event.type === "attempt").map((event) => event.delivery?.id)).toEqual([
      good,
    ]);
    expect(events.filter((event) => event.type === "shelved").map((event) => event.delivery?.id)).toEqual([
      bad,
    ]);
    expect(events.at(-1)).toMatchObject({ type: "stopped", dead: 2 });
    const dead = (await runBin(["dlq", "list", "--json"], { env })).stdout
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { id: string; deadReason: string; lastAttempt: { error: string } | null },
      );
    const shelved = dead.find((d) => d.id === bad);
    expect(shelved?.deadReason).toBe("damaged");
    expect(shelved?.lastAttempt).toBeNull();
  });
});

describe("one damaged attempt row does not hide its delivery", () => {
  it("log show lists the attempt with what is wrong, in words and in JSON", async () => {
    const path = tempDb();
    const db = openDb(path);
    const now = Date.now();
    const [id] = seedDeliveries(db, { url: "http://127.0.0.1:9/", now });
    finishDelivery(db, id as string, "dead", now);
    db.prepare("UPDATE attempts SET request_headers = 'not json' WHERE delivery_id = ?").run(id);
    db.close();
    const shown = await runBin(["--db", path, "log", "show", id as string]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/#1 .*\(damaged: attempts \d+ request_headers: not valid JSON\)/);
    const json = await runBin(["--db", path, "log", "show", id as string, "--json"]);
    expect(json.code).toBe(0);
    const detail = shaped(deliveryDetail, JSON.parse(json.stdout));
    expect(detail.attempts[0]?.damage).toMatch(/request_headers: not valid JSON/);
    expect(detail.attempts[0]?.requestHeaders).toEqual([]);
  });
});
