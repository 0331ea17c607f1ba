import type { ServeHealthJson } from "../../contract/schema/serve-read.js";
import { Problem } from "../http.js";
import { exposition, expositionContentType } from "../metrics/exposition.js";
import { outboxMetrics } from "../metrics/outbox.js";
import type { Handler } from "../routes.js";

const ok: ServeHealthJson = { status: "ok" };

/** `GET /healthz`: the process answers. Nothing else is checked, so a busy log never fails it. */
export const healthz: Handler = () => ({ status: 200, json: ok });

/**
 * `GET /readyz`: 200 only while the log takes writes and this process's delivery engine runs;
 * else 503 saying which. The write probe is a DELETE that matches nothing, rolled back: SQLite
 * takes its write lock; PostgreSQL checks the server and role take writes (a standby or a
 * read-only role fail it) within a second, a free connection of the pool included.
 */
export const readyz: Handler = async (_request, app) => {
  const faults: string[] = [];
  const unwritable = await app.outbox.writeProbe();
  if (unwritable !== undefined) faults.push(`the delivery log is not writable (${unwritable})`);
  if (!app.engineRunning()) faults.push("the delivery engine is not running");
  if (faults.length > 0) throw new Problem(503, "Service Unavailable", faults.join("; "));
  return { status: 200, json: ok };
};

/** `GET /metrics`: Prometheus text. */
export const metrics: Handler = async (_request, app) => {
  const now = app.now();
  const text = exposition(outboxMetrics(app.stats, await app.outbox.outboxStats(now), now));
  return { status: 200, headers: { "content-type": expositionContentType }, text };
};
