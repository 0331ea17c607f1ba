import type { ServeHealthJson } from "../../contract/schema/serve-read.js";
import type { Db } from "../../store/open.js";
import { outboxStats } from "../../store/outbox-stats.js";
import { Problem } from "../http.js";
import { exposition, expositionContentType } from "../metrics/exposition.js";
import { outboxMetrics } from "../metrics/outbox.js";
import type { Handler } from "../routes.js";

const ok: ServeHealthJson = { status: "ok" };

/** `GET /healthz`: the process answers. Nothing else is checked, so a busy log never fails it. */
export const healthz: Handler = () => ({ status: 200, json: ok });

/** `GET /readyz`: 200 only while the log takes writes and the delivery engine runs; else 503 saying which. */
export const readyz: Handler = (_request, app) => {
  const faults: string[] = [];
  const unwritable = writeProbe(app.db);
  if (unwritable !== undefined) faults.push(`the delivery log is not writable (${unwritable})`);
  if (!app.engineRunning()) faults.push("the delivery engine is not running");
  if (faults.length > 0) throw new Problem(503, "Service Unavailable", faults.join("; "));
  return { status: 200, json: ok };
};

/** `GET /metrics`: Prometheus text. */
export const metrics: Handler = (_request, app) => {
  const now = app.now();
  const text = exposition(outboxMetrics(app.stats, outboxStats(app.db, now), now));
  return { status: 200, headers: { "content-type": expositionContentType }, text };
};

/**
 * How long the probe waits for another process's write lock. Short: the connection is
 * synchronous, so a probe that waited out the log's full busy timeout would stall every request
 * behind it; a log locked that long is not ready to take events anyway.
 */
const probeBusyMs = 250;

/**
 * Why the log takes no writes, or undefined when it does. A write that changes nothing, inside
 * a savepoint rolled back at once: SQLite takes the write lock and checks the file is writable,
 * and nothing reaches the log. A savepoint nests, so the probe also works inside a transaction.
 */
function writeProbe(db: Db): string | undefined {
  let busyMs: number | undefined;
  try {
    busyMs = db.pragma("busy_timeout", { simple: true }) as number;
    db.pragma(`busy_timeout = ${Math.min(busyMs, probeBusyMs)}`);
    db.exec("SAVEPOINT hookctl_readyz");
    try {
      db.exec("DELETE FROM alert_sinks WHERE 0");
    } finally {
      db.exec("ROLLBACK TO hookctl_readyz; RELEASE hookctl_readyz");
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    if (busyMs !== undefined) db.pragma(`busy_timeout = ${busyMs}`);
  }
}
