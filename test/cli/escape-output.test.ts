import { describe, expect, it } from "vitest";
import { escapeControl } from "../../src/format/escape.js";
import { openDb } from "../../src/store/open.js";
import { runCli } from "../helpers/context.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

describe("control characters from the log never reach the terminal raw", () => {
  it("an event type and a header with escape sequences are shown escaped in every list and detail", async () => {
    const path = tempDb();
    const db = openDb(path);
    const now = Date.now();
    // Written straight to the log, as an older hookctl or another tool might have.
    const [id] = seedDeliveries(db, {
      url: "http://127.0.0.1:9/",
      now,
      eventType: "evil\u001b[2J\u001b]0;pwned\u0007",
    });
    db.prepare("UPDATE deliveries SET extra_headers = ? WHERE id = ?").run(
      JSON.stringify({ "X-Note": "\u001b[31mred" }),
      id,
    );
    finishDelivery(db, id as string, "dead", now);
    db.close();
    for (const argv of [
      ["log"],
      ["dlq", "list"],
      ["log", "show", id as string],
      ["dlq", "requeue", "--all", "--dry-run"],
    ]) {
      const run = await runCli(["--db", path, ...argv]);
      expect(run.code, argv.join(" ")).toBe(0);
      const all = run.stdout + run.stderr;
      expect(all.includes("\u001b") || all.includes("\u0007"), argv.join(" ")).toBe(false);
      expect(all, argv.join(" ")).toContain("evil\\u001b[2J\\u001b]0;pwned\\u0007");
    }
  });

  it("escapes C0, DEL and C1; keeps newlines and tabs only in multi-line text", () => {
    expect(escapeControl("a\u001bb\u007fc\u009bd")).toBe("a\\u001bb\\u007fc\\u009bd");
    expect(escapeControl("a\nb\tc\r\n", true)).toBe("a\nb\tc\n");
    expect(escapeControl("a\nb")).toBe("a\\u000ab");
  });
});
