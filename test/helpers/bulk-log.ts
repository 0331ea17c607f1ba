import type { Db } from "../../src/store/open.js";

/**
 * `count` finished deliveries of one event in one statement (a recursive CTE, no per-row round
 * trips), ids `dlv_bulk_000000000` upwards so they sort as inserted. For logs of hundreds of
 * thousands of rows.
 */
export function bulkDeliveries(
  db: Db,
  options: { count: number; status: "succeeded" | "dead"; url: string; at: number },
): void {
  db.prepare(
    "INSERT OR IGNORE INTO events (id, type, body, content_type, created_at) VALUES ('evt_bulk', 'bulk.event', ?, 'application/json', @at)",
  ).run(Buffer.from('{"bulk":true}'), { at: options.at });
  db.prepare(`
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @count)
    INSERT INTO deliveries (id, event_id, url, scheme, secrets, policy, timeout_ms, status, attempt_count,
      created_at, updated_at, completed_at)
    SELECT printf('dlv_bulk_%09d', i), 'evt_bulk', @url, 'hookctl', NULL, '{}', 5000, @status, 1, @at, @at, @at
    FROM n`).run(options);
}
