import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { alert } from "../../src/contract/schema/alert.js";
import { replayEvent } from "../../src/contract/schema/replay.js";
import { verify } from "../../src/signing/index.js";
import { alertsOfDelivery } from "../../src/store/alerts.js";
import { openDb } from "../../src/store/open.js";
import { runBin } from "../helpers/bin.js";
import { runCli } from "../helpers/context.js";
import { shaped, shapedLines } from "../helpers/contract.js";
import { type Receiver, startReceiver } from "../helpers/receivers.js";
import { seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

const receivers: Receiver[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function receiver(status: number): Promise<Receiver> {
  const started = await startReceiver({ status });
  receivers.push(started);
  return started;
}

/** A log with `count` deliveries to `url`, due now; closed so the command opens it itself. */
function logWith(url: string, count: number): { path: string; ids: string[] } {
  const path = tempDb();
  const db = openDb(path);
  const ids = seedDeliveries(db, { url, now: Date.now(), count, policy: { retries: 0 } });
  db.close();
  return { path, ids };
}

function alertRows(path: string, ids: readonly string[]) {
  const db = openDb(path);
  const rows = ids.flatMap((id) => alertsOfDelivery(db, id));
  db.close();
  return rows;
}

const alertIdOf = (deliveryId: string, attempts = 1) => `alr_${deliveryId.slice(4)}_${attempts}`;

describe("replay --on-dead / --alert-url, through the built binary", () => {
  it("--on-dead 'cat >> file' writes each dead letter's alert once, and a second run sends nothing again", async () => {
    const gone = await receiver(410);
    const { path, ids } = logWith(gone.url, 3);
    const dir = tempDir();
    const args = ["replay", "--on-dead", "cat >> alerts.jsonl"];
    const first = await runBin(args, { env: { HOOKCTL_DB: path }, cwd: dir });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/^3 dead-letter alerts sent$/m);
    const lines = () => readFileSync(join(dir, "alerts.jsonl"), "utf8").trim().split("\n");
    const sent = lines().map((line) => shaped(alert, JSON.parse(line)));
    expect(sent.map((a) => a.id).sort()).toEqual(ids.map((id) => alertIdOf(id)).sort());
    for (const a of sent)
      expect(a.delivery).toMatchObject({ id: a.deliveryId, status: "dead", deadReason: "gone" });
    expect(alertRows(path, ids).map((row) => row.status)).toEqual(["sent", "sent", "sent"]);

    const second = await runBin(args, { env: { HOOKCTL_DB: path }, cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/alert/);
    expect(lines()).toHaveLength(3);
  });

  it("--alert-url posts signed alerts a receiver verifies, the alert id as X-Webhook-Delivery-ID", async () => {
    const gone = await receiver(410);
    const pager = await receiver(202);
    const { path, ids } = logWith(gone.url, 2);
    const secret = "whsec_YWxlcnQtc2VjcmV0LWZvci10ZXN0cw==";
    const result = await runBin(["replay", "--alert-url", `:${pager.port}/alerts`], {
      env: { HOOKCTL_DB: path, HOOKCTL_ALERT_SECRET: secret },
    });
    expect(result.code).toBe(1);
    expect(pager.requests).toHaveLength(2);
    for (const request of pager.requests) {
      expect(request.path).toBe("/alerts");
      const body = shaped(alert, JSON.parse(request.body.toString()));
      expect(request.headers["x-webhook-delivery-id"]).toBe(body.id);
      expect(request.headers["x-webhook-event"]).toBe("delivery.dead");
      const checked = verify({
        scheme: "hookctl",
        body: request.body,
        headers: request.headers as Record<string, string>,
        secrets: [secret],
        toleranceSeconds: 300,
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      expect(checked.outcome).toBe("valid");
    }
    const alerted = pager.requests.map((r) => r.headers["x-webhook-delivery-id"]).sort();
    expect(alerted).toEqual(ids.map((id) => alertIdOf(id)).sort());
    const db = openDb(path);
    expect(db.prepare("SELECT name FROM alert_sinks").pluck().all()).toEqual([
      `url:http://127.0.0.1:${pager.port}/alerts`,
    ]);
    db.close();
  });
});

describe("replay's alert output", () => {
  it("--json: each alert outcome is a replay event in the stream", async () => {
    const gone = await receiver(410);
    const { path, ids } = logWith(gone.url, 2);
    const result = await runCli(["--db", path, "--json", "replay", "--on-dead", "cat > /dev/null"], {
      cwd: tempDir(),
    });
    expect(result.code).toBe(1);
    const events = shapedLines(replayEvent, result.stdout);
    const alerts = events.filter((e) => e.type === "alert-sent");
    expect(alerts.map((e) => e.deliveryId).sort()).toEqual([...ids].sort());
    expect(alerts[0]).toMatchObject({ sink: "command:cat > /dev/null", attempt: 1 });
    // Alert lines come after the attempts that caused them.
    expect(events.findIndex((e) => e.type === "alert-sent")).toBeGreaterThan(
      events.findIndex((e) => e.type === "attempt"),
    );
  });

  it("a failing sink: failed tries reported, the rest left pending in one line, and the next run with the same flag sends it", async () => {
    const gone = await receiver(410);
    const { path, ids } = logWith(gone.url, 2);
    const dir = tempDir();
    const command = "test -f ready || { echo pager unreachable >&2; exit 1; }; cat >> alerts.jsonl";
    const first = await runCli(["--db", path, "--json", "replay", "--on-dead", command], { cwd: dir });
    expect(first.code).toBe(1);
    const failed = shapedLines(replayEvent, first.stdout).filter((e) => e.type === "alert-failed");
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ error: "pager unreachable", attempt: 1 });
    expect(first.stderr).toContain(
      "2 dead-letter alerts not sent yet (last error: pager unreachable); the next replay or serve with the same --on-dead sends them",
    );
    expect(existsSync(join(dir, "alerts.jsonl"))).toBe(false);

    writeFileSync(join(dir, "ready"), "");
    // The retry falls due a second later: this run's clock is past it.
    const second = await runCli(["--db", path, "replay", "--on-dead", command], {
      cwd: dir,
      now: () => Date.now() + 2000,
    });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/^2 dead-letter alerts sent$/m);
    expect(readFileSync(join(dir, "alerts.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    expect(alertRows(path, ids).map((row) => [row.status, row.attempts])).toEqual([
      ["sent", 2],
      ["sent", 2],
    ]);
  });

  it("refuses alert flags that cannot work, before anything runs", async () => {
    const { path } = logWith("http://127.0.0.1:1/", 1);
    const noUrl = await runCli(["--db", path, "replay", "--alert-secret", "x"]);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/--alert-secret and --alert-secret-file sign --alert-url webhooks/);
    const badUrl = await runCli(["--db", path, "replay", "--alert-url", "ftp://x/"]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--alert-url must be an http or https URL/);
    const empty = await runCli(["--db", path, "replay", "--on-dead", " "]);
    expect(empty.code).toBe(2);
    const keyPair = await runCli([
      "--db",
      path,
      "replay",
      "--alert-url",
      ":1/",
      "--alert-secret",
      "whsk_abc",
    ]);
    expect(keyPair.code).toBe(2);
    expect(keyPair.stderr).toMatch(/alert secret: .*ed25519/);
    const db = openDb(path);
    expect(db.prepare("SELECT COUNT(*) FROM attempts").pluck().get()).toBe(0);
    db.close();
  });
});
