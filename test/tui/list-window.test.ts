import { afterEach, describe, expect, it } from "vitest";
import { type BrowseQuery, DeliveryBrowser } from "../../src/store/browse.js";
import { type Db, openDb } from "../../src/store/open.js";
import { type Answer, isPending } from "../../src/store/ports/browse.js";
import { type ListWindow, move, settle } from "../../src/tui/list-window.js";
import { tempDb } from "../helpers/tmp.js";
import { seedDead, seedDelivery } from "./seed.js";

const dead: BrowseQuery = { status: "dead" };

/** SQLite answers in the same turn: a promise here would mean an extra frame per key. */
function sync<T>(answer: Answer<T>): T {
  if (isPending(answer)) throw new Error("SQLite's browse answered with a promise");
  return answer;
}
const open: Db[] = [];
afterEach(() => {
  for (const handle of open.splice(0)) handle.close();
});

/** Ten dead letters; ids[9] is the newest (top of the list). */
function setup(count = 10) {
  const db = openDb(tempDb());
  open.push(db);
  const ids = seedDead(db, count);
  const browser = new DeliveryBrowser(db);
  let window: ListWindow = sync(settle(browser, dead, { topId: null, selectedId: null }, 4));
  const go = (how: Parameters<typeof move>[3], height = 4) => {
    window = sync(settle(browser, dead, sync(move(browser, dead, window, how, height)), height));
    return window;
  };
  const visible = () => window.rows.map((row) => ids.indexOf(row.id));
  const selected = () => ids.indexOf(window.selectedId as string);
  return {
    db,
    ids,
    browser,
    go,
    visible,
    selected,
    get window() {
      return window;
    },
    set window(w) {
      window = w;
    },
  };
}

describe("list window", () => {
  it("opens pinned to the newest rows with the first one selected", () => {
    const t = setup();
    expect(t.visible()).toEqual([9, 8, 7, 6]);
    expect(t.selected()).toBe(9);
    expect(t.window).toMatchObject({ topId: null, hasNewer: false, hasOlder: true });
  });

  it("moves inside the page, then scrolls one row at a time at its edge", () => {
    const t = setup();
    t.go("down");
    t.go("down");
    t.go("down");
    expect(t.visible()).toEqual([9, 8, 7, 6]);
    expect(t.selected()).toBe(6);
    t.go("down");
    expect(t.visible()).toEqual([8, 7, 6, 5]);
    expect(t.selected()).toBe(5);
    expect(t.window.hasNewer).toBe(true);
    for (let i = 0; i < 4; i++) t.go("up");
    expect(t.visible()).toEqual([9, 8, 7, 6]);
    expect(t.selected()).toBe(9);
    expect(t.window.topId).toBeNull();
  });

  it("pages down and up keeping the cursor's screen row, and clamps at the ends", () => {
    const t = setup();
    t.go("down");
    t.go("pageDown");
    expect(t.visible()).toEqual([5, 4, 3, 2]);
    expect(t.selected()).toBe(4);
    t.go("pageDown");
    expect(t.visible()).toEqual([3, 2, 1, 0]);
    expect(t.selected()).toBe(0);
    t.go("pageUp");
    expect(t.selected()).toBe(4);
    t.go("pageUp");
    t.go("pageUp");
    expect(t.selected()).toBe(9);
    expect(t.visible()).toEqual([9, 8, 7, 6]);
  });

  it("jumps to the oldest (G) and newest (g)", () => {
    const t = setup();
    t.go("bottom");
    expect(t.visible()).toEqual([3, 2, 1, 0]);
    expect(t.selected()).toBe(0);
    expect(t.window.hasOlder).toBe(false);
    t.go("top");
    expect(t.visible()).toEqual([9, 8, 7, 6]);
    expect(t.selected()).toBe(9);
  });

  it("moves the cursor to the older neighbour when its row vanishes, and refills a short last page", () => {
    const t = setup();
    t.go("bottom");
    t.go("up");
    expect(t.selected()).toBe(1);
    t.db.prepare("UPDATE deliveries SET status = 'pending' WHERE id = ?").run(t.ids[1]);
    t.window = sync(settle(t.browser, dead, t.window, 4));
    expect(t.selected()).toBe(0);
    expect(t.visible()).toEqual([4, 3, 2, 0]);
    t.db.prepare("UPDATE deliveries SET status = 'pending' WHERE id = ?").run(t.ids[0]);
    t.window = sync(settle(t.browser, dead, t.window, 4));
    expect(t.selected()).toBe(2);
    expect(t.visible()).toEqual([5, 4, 3, 2]);
  });

  it("keeps the cursor on its delivery when newer rows arrive; a pinned view shows them", () => {
    const t = setup();
    t.go("down");
    const newer = seedDelivery(t.db, { agoMs: 0, type: "late.arrival" });
    t.window = sync(settle(t.browser, dead, t.window, 4));
    expect(t.window.rows[0]?.id).toBe(newer);
    expect(t.selected()).toBe(8);
    t.go("pageDown");
    const before = t.visible();
    seedDelivery(t.db, { agoMs: -1000 });
    t.window = sync(settle(t.browser, dead, t.window, 4));
    expect(t.visible()).toEqual(before);
  });

  it("shrinking the height keeps the selected row in view", () => {
    const t = setup();
    t.go("down");
    t.go("down");
    t.go("down");
    t.window = sync(settle(t.browser, dead, t.window, 2));
    expect(t.window.rows).toHaveLength(2);
    expect(t.window.rows.map((row) => row.id)).toContain(t.ids[6]);
  });

  it("is empty, with no selection, for an empty tab", () => {
    const t = setup(0);
    expect(t.window).toMatchObject({ rows: [], selectedId: null, hasOlder: false, hasNewer: false });
    expect(t.go("down").selectedId).toBeNull();
  });
});
