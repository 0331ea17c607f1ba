import { describe, expect, it } from "vitest";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { KEY } from "../../src/tui/keys.js";
import { cleanups, selected, start } from "./app-kit.js";
import { seedDelivery, seedNow } from "./seed.js";

describe("inspect app", () => {
  it("opens on the dead letters, newest first, with a count on every tab", async () => {
    const { app } = await start({
      seed: (db) => seedDelivery(db, { status: "pending", type: "still.trying" }),
    });
    const frame = app.frame();
    expect(frame.split("\n")[0]).toBe("[Dead 30]  Pending 1   In flight 0   Succeeded 0   All 31");
    expect(selected(frame)).toMatch(/^› +1m order\.created\.29 /);
    expect(frame).toContain("30 dead · newest first · more below");
    expect(frame).not.toContain("still.trying");
    expect(frame.split("\n")).toHaveLength(19);
  });

  it("moves with j/k, arrows, PgDn/PgUp, G and g", async () => {
    const { app } = await start();
    await app.press("j", KEY.down);
    await app.waitForFrame((f) => /order\.created\.27 /.test(selected(f)));
    await app.press("k");
    await app.waitForFrame((f) => /order\.created\.28 /.test(selected(f)));
    await app.press(KEY.up);
    await app.waitForFrame((f) => /order\.created\.29 /.test(selected(f)));
    await app.press(KEY.pageDown);
    await app.waitForFrame((f) => /order\.created\.15 /.test(selected(f)));
    await app.press(KEY.pageUp);
    await app.waitForFrame((f) => /order\.created\.29 /.test(selected(f)));
    await app.press("G");
    const bottom = await app.waitForFrame((f) => /30m order\.created\.0 /.test(selected(f)));
    expect(bottom).not.toContain("more below");
    expect(bottom).not.toContain("order.created.29 ");
    await app.press("g");
    await app.waitForFrame((f) => /order\.created\.29 /.test(selected(f)));
  });

  it("opens the selected delivery with Enter and goes back with Esc, keeping the cursor", async () => {
    const { app, ids } = await start();
    await app.press("j", "j");
    await app.waitForFrame((f) => /order\.created\.27 /.test(selected(f)));
    await app.press(KEY.enter);
    const detail = await app.waitForFrame("Request headers");
    expect(detail).toContain(`Delivery    ${ids[27]}`);
    expect(detail).toContain("order.created.27");
    expect(detail).toContain("authorization: Bearer sk_l…");
    expect(detail).not.toContain("sk_live");
    await app.press("j", KEY.pageDown);
    await app.waitForFrame((f) => !f.includes(`Delivery    ${ids[27]}`));
    await app.press("G");
    await app.waitForFrame(/#1 .*initial\s+HTTP 503/);
    await app.press(KEY.escape);
    const list = await app.waitForFrame("[Dead 30]");
    expect(selected(list)).toMatch(/order\.created\.27 /);
  });

  it("filters as you type, shows how many match, and Esc clears the filter", async () => {
    const { app } = await start();
    await app.press("/");
    await app.waitForFrame("Esc cancel");
    for (const char of "created.2") await app.press(char);
    const filtered = await app.waitForFrame("11 matching");
    expect(filtered).toContain("/created.2");
    expect(filtered).not.toContain("order.created.19 ");
    expect(selected(filtered)).toMatch(/order\.created\.29 /);
    await app.press(KEY.enter);
    await app.waitForFrame("(/ edit, Esc clear)");
    await app.press("G");
    await app.waitForFrame((f) => /order\.created\.2 /.test(selected(f)));
    await app.press(KEY.escape);
    const cleared = await app.waitForFrame((f) => !f.includes("matching"));
    expect(cleared).toContain("order.created.19 ");
  });

  it("R requeues only: pending in the log, nothing sent, and the status line says replay sends it", async () => {
    const { app, db, ids } = await start();
    await app.press("j");
    await app.waitForFrame((f) => /order\.created\.28 /.test(selected(f)));
    await app.press("R");
    const after = await app.waitForFrame(`requeued ${ids[28]}`);
    expect(after).toContain("hookctl replay sends it");
    expect(after).not.toContain("Requeue");
    expect(after).toContain("[Dead 29]");
    expect(after).toContain("Pending 1");
    expect(after).not.toContain("order.created.28 ");
    expect(selected(after)).toMatch(/order\.created\.27 /);
    expect(getDelivery(db, ids[28] as string)).toMatchObject({
      status: "pending",
      nextTrigger: "manual",
      nextAttemptAt: seedNow,
    });
    expect(listAttempts(db, ids[28] as string)).toHaveLength(1);
    await app.press(KEY.tab);
    await app.waitForFrame((f) => f.includes("[Pending 1]") && /order\.created\.28 /.test(selected(f)));
  });

  it("purges on y only: the delivery and its attempts are gone", async () => {
    const { app, db, ids } = await start();
    await app.press("d");
    const dialog = await app.waitForFrame(`Purge ${ids[29]}?`);
    expect(dialog).toContain("y yes   any other key no");
    await app.press("y");
    const after = await app.waitForFrame(`purged ${ids[29]}`);
    expect(after).toContain("[Dead 29]");
    expect(selected(after)).toMatch(/order\.created\.28 /);
    expect(getDelivery(db, ids[29] as string)).toBeUndefined();
    expect(listAttempts(db, ids[29] as string)).toEqual([]);
  });

  it("Enter, n, Esc or any other key at the purge question is no, and changes nothing", async () => {
    const { app, db, ids } = await start();
    // Enter opened the delivery one screen earlier: here it must not delete it.
    for (const key of [KEY.enter, "n", KEY.escape, "x"]) {
      await app.press("d");
      await app.waitForFrame(`Purge ${ids[29]}?`);
      await app.press(key);
      await app.waitForFrame((f) => f.includes("purge cancelled; nothing changed") && !f.includes("Purge "));
    }
    const after = app.frame();
    expect(after).toContain("[Dead 30]");
    expect(selected(after)).toMatch(/order\.created\.29 /);
    expect(getDelivery(db, ids[29] as string)?.status).toBe("dead");
    expect(db.prepare("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status").all()).toEqual([
      { status: "dead", n: 30 },
    ]);
  });

  it("requeues from the detail screen and shows the next attempt", async () => {
    const { app, ids } = await start({ rows: 30 });
    await app.press(KEY.enter);
    await app.waitForFrame("Request headers");
    await app.press("R");
    const detail = await app.waitForFrame(`requeued ${ids[29]}`);
    expect(detail).toContain("pending after 1 attempt");
    expect(detail).toMatch(/Next\s+.*\(now, manual\)/);
  });

  it("says so when a tab, the log or a filter has nothing", async () => {
    const { app } = await start({ dead: 0 });
    expect(app.frame()).toContain("No dead letters. Deliveries that exhaust their retries land here.");
    await app.press(KEY.tab);
    await app.waitForFrame("No pending deliveries.");
    await app.press(KEY.shiftTab, KEY.shiftTab);
    await app.waitForFrame("The log is empty.");
    const filtered = await start({ filter: "no-such-thing" });
    expect(filtered.app.frame()).toContain('Nothing here matches "no-such-thing"');
    expect(filtered.app.frame()).toContain("0 matching");
  });

  it("shows a dead letter written by another process, keeping the cursor on its row", async () => {
    const { app, path } = await start();
    await app.press("j", "j");
    await app.waitForFrame((f) => /order\.created\.27 /.test(selected(f)));
    const other = openDb(path);
    cleanups.push(() => {
      other.close();
    });
    seedDelivery(other, { type: "late.arrival", agoMs: 0 });
    const after = await app.waitForFrame("late.arrival");
    expect(after).toContain("[Dead 31]");
    expect(selected(after)).toMatch(/order\.created\.27 /);
    other.prepare("UPDATE deliveries SET status = 'pending' WHERE status = 'dead'").run();
    await app.waitForFrame("No dead letters");
  });

  it("shows help with ? and leaves it with Esc", async () => {
    const { app } = await start();
    await app.press("?");
    const help = await app.waitForFrame("Keys");
    expect(help).toContain("retry now: requeue and send at once");
    expect(help).toContain("requeue only: due now, sent by the next hookctl replay");
    await app.press(KEY.escape);
    await app.waitForFrame("[Dead 30]");
  });

  it("asks for a bigger terminal when too small, and q still quits", async () => {
    const { app, onQuit } = await start({ rows: 8 });
    expect(app.frame()).toContain("Terminal too small (100×8)");
    await app.press("q");
    expect(onQuit).toHaveBeenCalledOnce();
  });

  it("q quits", async () => {
    const { app, onQuit } = await start();
    await app.press("q");
    expect(onQuit).toHaveBeenCalledOnce();
  });
});
