/**
 * PostgreSQL's form of store/dead-letter-alerts.ts: one pending alert per registered sink for each
 * delivery that just became dead, written by the statement that made it dead. `dead` is a
 * relation (a CTE's name, or a parenthesised subquery without an alias) of the deaths with columns
 * `id` and `attempt_count`, as the dying UPDATE's RETURNING gives them: a CTE's own changes are
 * not visible to a sibling that reads the table, so the ids come from the RETURNING rows.
 * `now` is the SQL text of the time parameter (e.g. `$3::bigint`).
 *
 * Ids as on SQLite: `alr_<delivery ulid>_<attempt count>`, a repeat death at the same count
 * suffixed `_2`, `_3`, … counted over every sink.
 */
export function queueDeadLetterAlertsSql(dead: string, now: string): string {
  return `
  INSERT INTO alerts (id, sink, delivery_id, status, next_attempt_at, created_at)
  SELECT CASE WHEN d.taken = 0 THEN d.base ELSE d.base || '_' || (d.taken + 1) END,
    s.name, d.id, 'pending', ${now}, ${now}
  FROM (
    SELECT dead.id, b.base,
      (SELECT count(DISTINCT a.id) FROM alerts a
        WHERE a.delivery_id = dead.id
          AND (a.id = b.base OR left(a.id, length(b.base) + 1) = b.base || '_')) AS taken
    FROM ${dead} AS dead
    CROSS JOIN LATERAL (SELECT 'alr_' || substr(dead.id, 5) || '_' || dead.attempt_count AS base) AS b
  ) AS d CROSS JOIN alert_sinks s
  ON CONFLICT DO NOTHING`;
}
