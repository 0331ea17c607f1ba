import type { Db } from "./open.js";

/**
 * Queue one pending alert per registered sink for a delivery that has just become dead, in the
 * caller's transaction (the one that made it dead), so no crash can fall between the death and
 * its alert. Every path that makes a delivery dead calls this: an attempt's completion, a damaged
 * row shelved, `endpoint rm --force`.
 *
 * The alert id is stable for that death: `alr_<delivery ulid>_<attempt count>`. A delivery can die
 * twice at one attempt count (requeued, then its endpoint removed with --force before it ran):
 * the repeat gets a suffix (`alr_…_3_2`), counted over every sink so all sinks name one death
 * alike; alert rows are never deleted one by one, so a suffix is never handed out twice.
 *
 * Not a trigger: an UPDATE trigger makes SQLite build the old and new row for every status
 * change, claims and completions included, which cost the engine about 7 µs per delivery to
 * serve the rare death.
 */
const queueSql = `
  INSERT OR IGNORE INTO alerts (id, sink, delivery_id, status, next_attempt_at, created_at)
  SELECT IIF(d.taken = 0, d.base, d.base || '_' || (d.taken + 1)), s.name, d.id, 'pending', @now, @now
  FROM (
    SELECT id, 'alr_' || substr(id, 5) || '_' || attempt_count AS base,
      (SELECT COUNT(DISTINCT a.id) FROM alerts a
        WHERE a.delivery_id = deliveries.id
          AND (a.id = 'alr_' || substr(deliveries.id, 5) || '_' || deliveries.attempt_count
            OR substr(a.id, 1, length(deliveries.id) + length(deliveries.attempt_count) + 2)
              = 'alr_' || substr(deliveries.id, 5) || '_' || deliveries.attempt_count || '_')) AS taken
    FROM deliveries WHERE id = @id AND status = 'dead'
  ) AS d, alert_sinks s`;

const prepared = new WeakMap<Db, { run(params: { id: string; now: number }): unknown }>();

export function queueDeadLetterAlerts(db: Db, deliveryId: string, now: number): void {
  let statement = prepared.get(db);
  if (!statement) {
    statement = db.prepare(queueSql);
    prepared.set(db, statement);
  }
  statement.run({ id: deliveryId, now });
}
