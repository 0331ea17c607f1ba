import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { serveHealth } from "../../src/contract/schema/serve-read.js";
import { exposition } from "../../src/serve/metrics/exposition.js";
import { healthz, metrics, readyz } from "../../src/serve/routes/ops.js";
import { queueDeadLetterAlerts } from "../../src/store/dead-letter-alerts.js";
import { alertsPendingSql, dueSql } from "../../src/store/outbox-stats.js";
import { outboxStoreOf } from "../../src/store/ports/outbox.js";
import { shaped } from "../helpers/contract.js";
import {
  closeAfterTest,
  problemOf,
  seedEvent,
  serveApp,
  serveRequest,
  setStatus,
} from "../helpers/serve-app.js";

describe("GET /healthz", () => {
  it("answers 200 ok", async () => {
    const { app } = serveApp();
    const response = await healthz(serveRequest("/healthz"), app);
    expect(response.status).toBe(200);
    shaped(serveHealth, response.json);
  });
});

describe("GET /readyz", () => {
  it("is 200 while the log is writable and the engine runs, and the probe leaves nothing behind", async () => {
    const harness = serveApp();
    seedEvent(harness);
    const watcher = closeAfterTest(new Database(harness.path));
    const version = () => watcher.pragma("data_version", { simple: true });
    const before = version();
    const busyBefore = harness.db.pragma("busy_timeout", { simple: true });

    const response = await readyz(serveRequest("/readyz"), harness.app);
    expect(response).toEqual({ status: 200, json: { status: "ok" } });
    expect(version()).toBe(before);
    expect(harness.db.inTransaction).toBe(false);
    expect(harness.db.pragma("busy_timeout", { simple: true })).toBe(busyBefore);

    // Inside a transaction of the same connection, the probe nests and leaves it as it was.
    harness.db.exec("BEGIN");
    harness.db.prepare("INSERT INTO alert_sinks (name, created_at) VALUES ('s', 0)").run();
    expect((await readyz(serveRequest("/readyz"), harness.app)).status).toBe(200);
    expect(harness.db.inTransaction).toBe(true);
    harness.db.exec("COMMIT");
    expect(harness.db.prepare("SELECT COUNT(*) FROM alert_sinks").pluck().get()).toBe(1);
  });

  it("is 503 saying so when the engine is not running", async () => {
    const harness = serveApp();
    harness.engine.running = false;
    const problem = await problemOf(() => readyz(serveRequest("/readyz"), harness.app));
    expect(problem).toMatchObject({
      status: 503,
      title: "Service Unavailable",
      detail: "the delivery engine is not running",
    });
  });

  it("is 503 saying so when the log takes no writes (read-only, or locked by another writer)", async () => {
    const harness = serveApp();
    const readOnly = closeAfterTest(new Database(harness.path, { readonly: true }));
    harness.engine.running = false;
    const both = await problemOf(() =>
      readyz(serveRequest("/readyz"), {
        ...harness.app,
        outbox: outboxStoreOf({
          backend: "sqlite",
          db: readOnly,
          where: harness.path,
          close: async () => {},
        }),
      }),
    );
    expect(both.status).toBe(503);
    expect(both.detail).toBe(
      "the delivery log is not writable (attempt to write a readonly database); the delivery engine is not running",
    );

    harness.engine.running = true;
    const other = closeAfterTest(new Database(harness.path));
    other.exec("BEGIN IMMEDIATE");
    const locked = await problemOf(() => readyz(serveRequest("/readyz"), harness.app));
    expect(locked.detail).toBe("the delivery log is not writable (database is locked)");
    other.exec("ROLLBACK");
    expect((await readyz(serveRequest("/readyz"), harness.app)).status).toBe(200);

    harness.db.close();
    const closed = await problemOf(() => readyz(serveRequest("/readyz"), harness.app));
    expect(closed.detail).toBe("the delivery log is not writable (The database connection is not open)");
  });
});

/** Exposition text back into families: HELP, TYPE and `name{labels} value` for each sample. */
function parseExposition(text: string) {
  expect(text.endsWith("\n")).toBe(true);
  type Family = { help?: string; type?: string; samples: Map<string, number> };
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    const found: Family = families.get(name) ?? { samples: new Map() };
    families.set(name, found);
    return found;
  };
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === "HELP") family(name).help = rest;
      else family(name).type = rest;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not an exposition line: ${line}`);
    const [, name, labels, value] = sample as unknown as [string, string, string | undefined, string];
    const found = families.get(name);
    if (!found?.type || !found.help) throw new Error(`sample before its HELP and TYPE: ${line}`);
    found.samples.set(labels ?? "", Number(value));
  }
  return families;
}

describe("GET /metrics", () => {
  it("reports this process's counters and the log's state as Prometheus text", async () => {
    const harness = serveApp();
    const { db, app, clock } = harness;
    db.prepare("INSERT INTO alert_sinks (name, created_at) VALUES ('command', 0)").run();
    const t0 = clock.now;
    const ids = seedEvent(harness, "order.created", [{}, {}, {}, {}, {}, {}]).deliveryIds as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    setStatus(db, ids[0], "succeeded");
    setStatus(db, ids[1], "dead");
    setStatus(db, ids[2], "dead");
    // As every path that makes a delivery dead does, in its own transaction.
    queueDeadLetterAlerts(db, ids[1], t0);
    queueDeadLetterAlerts(db, ids[2], t0);
    setStatus(db, ids[3], "pending", t0 + 60_000);
    db.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?").run(t0 - 1500, ids[4]);
    db.prepare("UPDATE deliveries SET status = 'in_flight', lease_expires_at = ? WHERE id = ?").run(
      t0 + 1,
      ids[5],
    );
    db.prepare("UPDATE alerts SET status = 'sent' WHERE delivery_id = ?").run(ids[1]);
    clock.now = t0 + 2000;
    Object.assign(app.stats, { acceptedEvents: 7, duplicateEvents: 2 });
    Object.assign(app.stats.attempts, { succeeded: 5, retry: 3, dead: 2 });
    app.stats.alerts.failed = 4;

    const response = await metrics(serveRequest("/metrics"), app);
    expect(response.status).toBe(200);
    expect(response.headers).toEqual({ "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    const families = parseExposition(response.text ?? "");
    const value = (name: string, labels = "") => families.get(name)?.samples.get(labels);
    const types = Object.fromEntries([...families].map(([name, f]) => [name, f.type]));
    expect(types).toEqual({
      hookctl_events_accepted_total: "counter",
      hookctl_events_duplicate_total: "counter",
      hookctl_deliveries: "gauge",
      hookctl_attempts_total: "counter",
      hookctl_queue_depth: "gauge",
      hookctl_oldest_due_age_seconds: "gauge",
      hookctl_dead_letters: "gauge",
      hookctl_alerts_total: "counter",
      hookctl_alerts_pending: "gauge",
    });
    expect(value("hookctl_events_accepted_total")).toBe(7);
    expect(value("hookctl_events_duplicate_total")).toBe(2);
    expect(
      Object.fromEntries(
        ["pending", "in_flight", "succeeded", "dead"].map((s) => [
          s,
          value("hookctl_deliveries", `{status="${s}"}`),
        ]),
      ),
    ).toEqual({ pending: 2, in_flight: 1, succeeded: 1, dead: 2 });
    expect(value("hookctl_attempts_total", '{outcome="succeeded"}')).toBe(5);
    expect(value("hookctl_attempts_total", '{outcome="lost"}')).toBe(0);
    // Due now: ids[4] only (ids[3] waits a minute); it has waited since t0 - 1500.
    expect(value("hookctl_queue_depth")).toBe(1);
    expect(value("hookctl_oldest_due_age_seconds")).toBe(3.5);
    expect(value("hookctl_dead_letters")).toBe(2);
    expect(value("hookctl_alerts_total", '{result="failed"}')).toBe(4);
    expect(value("hookctl_alerts_total", '{result="sent"}')).toBe(0);
    // One alert per death was queued; one of the two was sent.
    expect(value("hookctl_alerts_pending")).toBe(1);

    // Nothing due: the age is 0, not the age of a future retry.
    db.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?").run(t0 + 60_000, ids[4]);
    const idle = parseExposition((await metrics(serveRequest("/metrics"), app)).text ?? "");
    expect(idle.get("hookctl_queue_depth")?.samples.get("")).toBe(0);
    expect(idle.get("hookctl_oldest_due_age_seconds")?.samples.get("")).toBe(0);
  });

  it("escapes label values and help text as the format says", () => {
    const text = exposition([
      {
        name: "x_total",
        help: "a \\ b\nc",
        type: "counter",
        samples: [
          { labels: { path: 'a"b\\c\nd', kind: "k" }, value: 1.5 },
          { value: Number.POSITIVE_INFINITY },
        ],
      },
    ]);
    expect(text).toBe(
      '# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\nx_total{path="a\\"b\\\\c\\nd",kind="k"} 1.5\nx_total +Inf\n',
    );
  });

  it("reads the log through its indexes, never the deliveries table itself", () => {
    const { db } = serveApp();
    const plan = (sql: string, ...params: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
    expect(plan(dueSql, 0)).toEqual([
      "SEARCH deliveries USING COVERING INDEX deliveries_due (next_attempt_at<?)",
    ]);
    expect(plan(alertsPendingSql)).toEqual(["SCAN alerts USING COVERING INDEX alerts_due"]);
    // countByStatus (src/store/queue.ts), the deliveries-by-status gauge.
    expect(plan("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")).toEqual([
      "SCAN deliveries USING COVERING INDEX deliveries_by_status",
    ]);
  });
});
