import { describe, expect, it } from "vitest";
import { type BrowseQuery, DeliveryBrowser } from "../../src/store/browse.js";
import { type Db, openDb } from "../../src/store/open.js";
import type { BrowsePort } from "../../src/store/ports/browse.js";
import { createInspectStore } from "../../src/tui/inspect-store.js";
import { waitFor } from "../helpers/bin.js";
import { tempDb } from "../helpers/tmp.js";
import { cleanups, mountStore, selected } from "./app-kit.js";
import { seedDead, seedNow } from "./seed.js";

/**
 * The list's loading when the log answers later (as PostgreSQL does), with a browser whose
 * answers the test releases by hand, and SQLite's answers in the same turn (one frame a key).
 */

/** SQLite's browser, each answer held back as a promise until `release` lets it through. */
class HeldBrowser implements BrowsePort {
  private readonly held: { query: BrowseQuery | undefined; resolve: () => void }[] = [];
  constructor(private readonly inner: DeliveryBrowser) {}

  /** Let the held answers through, those whose query `which` picks (all by default), in order. */
  async release(which: (query: BrowseQuery | undefined) => boolean = () => true): Promise<void> {
    for (const entry of this.held.filter((e) => which(e.query))) {
      this.held.splice(this.held.indexOf(entry), 1);
      entry.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  get waiting(): number {
    return this.held.length;
  }

  private later<T>(query: BrowseQuery | undefined, answer: () => T): Promise<T> {
    return new Promise<void>((resolve) => this.held.push({ query, resolve })).then(answer);
  }

  counts = () => this.later(undefined, () => this.inner.counts());
  countMatching = (q: BrowseQuery, cap: number) => this.later(q, () => this.inner.countMatching(q, cap));
  page = (q: BrowseQuery, from: string | null, limit: number) =>
    this.later(q, () => this.inner.page(q, from, limit));
  step = (q: BrowseQuery, from: string, direction: "older" | "newer", n: number) =>
    this.later(q, () => this.inner.step(q, from, direction, n));
  edge = (q: BrowseQuery, which: "newest" | "oldest") => this.later(q, () => this.inner.edge(q, which));
  find = (q: BrowseQuery, id: string) => this.later(q, () => this.inner.find(q, id));
  changeMark = () => Promise.resolve(0);
}

function log(seed: (db: Db) => void): Db {
  const db = openDb(tempDb());
  cleanups.push(() => {
    db.close();
  });
  seed(db);
  return db;
}

/** Release every answer until the app stops asking. */
async function drain(browser: HeldBrowser): Promise<void> {
  while (browser.waiting > 0) await browser.release();
}

describe("the list over a log that answers later", () => {
  it("says it is reading, then shows the first answer", async () => {
    const db = log((d) => seedDead(d, 5));
    const browser = new HeldBrowser(new DeliveryBrowser(db));
    const app = mountStore({ ...createInspectStore(db, () => seedNow), browser }, { pollMs: 60_000 });
    expect(app.frame()).toContain("Reading the log…");
    await drain(browser);
    await app.waitForFrame("[Dead 5]");
    expect(selected(app.frame())).toContain("order.created.4");
  });

  it("three quick ↓ before any answer go three rows down", async () => {
    const db = log((d) => seedDead(d, 8));
    const browser = new HeldBrowser(new DeliveryBrowser(db));
    const app = mountStore({ ...createInspectStore(db, () => seedNow), browser }, { pollMs: 60_000 });
    await drain(browser);
    await app.waitForFrame("[Dead 8]");
    await app.press("j", "j", "j");
    await drain(browser);
    await app.waitForFrame((frame) => selected(frame).includes("order.created.4"));
  });

  it("drops an older filter's answer that comes after the newer one's", async () => {
    const db = log((d) => seedDead(d, 6, (i) => (i % 2 === 0 ? "order.created" : "order.paid")));
    const browser = new HeldBrowser(new DeliveryBrowser(db));
    const app = mountStore({ ...createInspectStore(db, () => seedNow), browser }, { pollMs: 60_000 });
    await drain(browser);
    await app.waitForFrame("[Dead 6]");
    await app.press("/", ..."order.");
    // The filter text shows before any answer.
    await app.waitForFrame("/order.");
    await app.press("p");
    // The newest filter's answers first, all the way to its screen…
    await waitFor(async () => {
      await browser.release((query) => query?.filter === "order.p");
      return app.frame().includes("3 matching") ? true : undefined;
    });
    // …then the older filters' (6 matching "order."): they come last and are dropped.
    await drain(browser);
    expect(app.frame()).toContain("/order.p");
    expect(app.frame()).toContain("3 matching");
    expect(app.frame()).not.toContain("order.created");
  });
});

describe("the list over SQLite", () => {
  it("draws one frame per key: the answers come in the same turn", async () => {
    const db = log((d) => seedDead(d, 8));
    const app = mountStore(
      createInspectStore(db, () => seedNow),
      { pollMs: 60_000 },
    );
    await app.waitForFrame("[Dead 8]");
    const steps: [string, (frame: string) => boolean][] = [
      ["j", (frame) => selected(frame).includes("order.created.6")],
      ["G", (frame) => selected(frame).includes("order.created.0")],
      ["/", (frame) => frame.includes("Enter apply")],
      ["o", (frame) => frame.includes("/o ")],
    ];
    for (const [key, done] of steps) {
      const before = app.frames.length;
      await app.press(key);
      await app.waitForFrame(done);
      expect(app.frames.length - before, key).toBe(1);
    }
  });
});
