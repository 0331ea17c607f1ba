import { describe, expect, it } from "vitest";
import { DeliveryBrowser } from "../../src/store/browse.js";
import { openDb } from "../../src/store/open.js";
import { maxGlobLength } from "../../src/store/patterns.js";
import { runCli } from "../helpers/context.js";
import { tempDb } from "../helpers/tmp.js";
import { seedDead, seedDelivery } from "../tui/seed.js";

// SQLite fails LIKE and GLOB patterns over 50,000 bytes with "pattern too complex".
const huge = "a".repeat(60_000);

describe("over-long event globs", () => {
  it("every selector refuses them in one line, exit 2, before any query", async () => {
    const path = tempDb();
    const db = openDb(path);
    seedDead(db, 2);
    db.close();
    const env = { HOOKCTL_DB: path };
    for (const argv of [
      ["log", "--event", huge],
      ["dlq", "list", "--event", huge],
      ["dlq", "requeue", "--all", "--dry-run", "--event", huge],
      ["dlq", "purge", "--all", "--dry-run", "--event", huge],
      ["replay", "--dry-run", "--event", huge],
    ]) {
      const result = await runCli(argv, { env });
      expect(result.code, argv.slice(0, 2).join(" ")).toBe(2);
      expect(result.stderr).toMatch(
        /^hookctl: the event-type glob is 60000 characters long; at most 1000 are allowed — .*\n$/,
      );
    }
  });

  it("a glob of the longest allowed length still runs", async () => {
    const path = tempDb();
    const db = openDb(path);
    seedDead(db, 2);
    db.close();
    const result = await runCli(["log", "--event", "*".repeat(maxGlobLength), "--json"], {
      env: { HOOKCTL_DB: path },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(2);
  });
});

describe("inspect's filter with text longer than a LIKE pattern may be", () => {
  it("matches case-insensitively, as a short filter does, instead of failing the query", () => {
    const db = openDb(tempDb());
    const longType = `Order.${"x".repeat(60_000)}`;
    seedDead(db, 3);
    const id = seedDelivery(db, { status: "dead", type: longType });
    const browser = new DeliveryBrowser(db);
    const query = { status: "dead" as const, filter: longType.toLowerCase() };
    expect(browser.countMatching(query, 100)).toEqual({ count: 1, capped: false });
    expect(browser.page(query, null, 10).map((row) => row.id)).toEqual([id]);
    expect(browser.countMatching({ status: "all", filter: huge }, 100)).toEqual({ count: 0, capped: false });
    // The short path is unchanged: LIKE wildcards typed by the user are literal.
    expect(browser.countMatching({ status: "dead", filter: "ORDER.%" }, 100).count).toBe(0);
    expect(browser.countMatching({ status: "dead", filter: "ORDER.created" }, 100).count).toBe(3);
    db.close();
  });
});
