import { describe, expect, it } from "vitest";
import { type Db, openDb } from "../../src/store/open.js";
import { browserOf } from "../../src/store/ports/browse.js";
import { createInspectStore, type InspectStore, inspectStoreOf } from "../../src/tui/inspect-store.js";
import { KEY } from "../../src/tui/keys.js";
import { waitFor } from "../helpers/bin.js";
import { postgresForFile } from "../helpers/pg.js";
import { tempDb } from "../helpers/tmp.js";
import { cleanups, mountStore } from "./app-kit.js";
import type { mount } from "./harness.js";
import { copyLog } from "./pg-copy.js";
import { seedDead, seedDelivery, seedNow } from "./seed.js";

/**
 * `inspect` on PostgreSQL: the same log seeded on a SQLite file and copied row for row into a
 * PostgreSQL database, the app mounted over each, the same keys typed into both; every screen
 * must come out the same. One server for the file.
 */
const pg = postgresForFile();

interface Side {
  app: ReturnType<typeof mount>;
  store: InspectStore;
}

function mountOver(store: InspectStore, options: { status?: "dead" | "all" } = {}): Side {
  return { app: mountStore(store, { pollMs: 25, ...options }), store };
}

/** A key typed and drawn: every key these tests type changes the screen (SQLite: in one frame). */
async function typed(side: Side, key: string): Promise<void> {
  const before = side.app.frames.length;
  await side.app.press(key);
  await waitFor(
    () => (side.app.frames.length > before ? true : undefined),
    5000,
    `a frame after ${JSON.stringify(key)}`,
  );
}

/** The same log on both backends, the app over each. */
async function both(seed: (db: Db) => void, options: { status?: "dead" | "all" } = {}) {
  const db = openDb(tempDb());
  cleanups.push(() => {
    db.close();
  });
  seed(db);
  const { pool, url } = await pg.pool();
  await copyLog(db, pool);
  const sqlite = mountOver(
    createInspectStore(db, () => seedNow),
    options,
  );
  const postgres = mountOver(
    inspectStoreOf({ backend: "postgres", pool, where: url, close: async () => {} }, () => seedNow),
    options,
  );
  /** Type into both, each key drawn by each before the next, then PostgreSQL's screen must be SQLite's. */
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      await typed(sqlite, key);
      await typed(postgres, key);
    }
    return same();
  };
  const same = async () => {
    const expected = sqlite.app.frame();
    await postgres.app.waitForFrame((frame) => frame === expected);
    return expected;
  };
  await same();
  return { db, pool, sqlite, postgres, press, same };
}

describe("inspect on a PostgreSQL log", () => {
  it("browses, pages and jumps as on SQLite, screen for screen", async () => {
    const { press, same } = await both((db) => seedDead(db, 30));
    expect(await same()).toContain("[Dead 30]");
    for (const key of ["j", KEY.down, KEY.pageDown, "k", KEY.pageUp, "G", "g", KEY.tab, KEY.tab]) {
      await press(key);
    }
    expect(await press(KEY.tab, KEY.tab, KEY.tab)).toContain("[Dead 30]");
  });

  it("filters as you type, counting the matches, as on SQLite", async () => {
    const { press } = await both(
      (db) => {
        seedDead(db, 12, (i) => (i % 3 === 0 ? "invoice.paid" : "order.created"));
        seedDelivery(db, { status: "pending", type: "Invoice.Voided", endpoint: "billing" });
      },
      { status: "all" },
    );
    const filtered = await press("/", ..."INVOICE");
    expect(filtered).toContain("5 matching");
    await press(KEY.enter, "j");
    expect(await press(KEY.escape)).not.toContain("matching");
    expect(await press("/", ..."billing", KEY.enter)).toContain("1 matching");
  });

  it("opens a delivery's detail and scrolls it as on SQLite", async () => {
    const { press } = await both((db) => seedDead(db, 3));
    const detail = await press(KEY.enter);
    expect(detail).toContain("order.created.2");
    expect(detail).toContain("503");
    await press(KEY.down, KEY.pageDown);
    expect(await press(KEY.escape)).toContain("[Dead 3]");
  });

  it("requeues and purges on the PostgreSQL log, and the list follows", async () => {
    const { pool, postgres, sqlite } = await both((db) => seedDead(db, 3));
    const { app } = postgres;
    await app.waitForFrame("[Dead 3]");
    const top =
      sqlite.app
        .frame()
        .split("\n")
        .find((line) => line.startsWith("›")) ?? "";
    expect(top).toContain("order.created.2");

    await app.press("R");
    // Until the requeued row has left the list: each read is its own statement, so a reload that
    // straddled the requeue can count it gone while still listing it, and the next one repairs it.
    await app.waitForFrame(
      (frame) =>
        frame.includes("requeued") && frame.includes("[Dead 2]") && !frame.includes("order.created.2"),
    );
    const statuses = async () =>
      (await pool.query<{ status: string }>("SELECT status FROM deliveries ORDER BY id")).rows.map(
        (r) => r.status,
      );
    expect(await statuses()).toEqual(["dead", "dead", "pending"]);

    await app.press("d");
    await app.waitForFrame("cannot be undone");
    await app.press("y");
    await app.waitForFrame((frame) => frame.includes("purged") && frame.includes("[Dead 1]"));
    expect(await statuses()).toEqual(["dead", "pending"]);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM attempts");
    expect(rows[0]?.n).toBe(2);
  });

  it("shows what another process commits within a poll, from the snapshot change mark", async () => {
    const { pool, postgres } = await both((db) => seedDead(db, 2));
    await postgres.app.waitForFrame("[Dead 2]");
    const browser = browserOf({ backend: "postgres", pool, where: "", close: async () => {} });
    const before = await browser.changeMark();
    expect(await browser.changeMark()).toBe(before);
    await pool.query("UPDATE deliveries SET status = 'pending' WHERE id = (SELECT min(id) FROM deliveries)");
    expect(await browser.changeMark()).not.toBe(before);
    await postgres.app.waitForFrame((frame) => frame.includes("[Dead 1]") && frame.includes("Pending 1"));
    await pool.query("DELETE FROM attempts");
    await pool.query("DELETE FROM deliveries");
    await postgres.app.waitForFrame("No dead letters");
  });
});
