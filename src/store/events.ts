import type { Db } from "./open.js";
import { toEvent } from "./rows.js";
import type { EventRow } from "./types.js";

/** Writes one event; its named parameters are an EventRow's fields. */
export const insertEventSql =
  "INSERT INTO events (id, type, body, content_type, created_at) VALUES (@id, @type, @body, @contentType, @createdAt)";

export function insertEvent(db: Db, event: EventRow): void {
  db.prepare(insertEventSql).run(event);
}

export function getEvent(db: Db, id: string): EventRow | undefined {
  const row = db.prepare("SELECT * FROM events WHERE id = ?").get(id);
  return row ? toEvent(row as Record<string, unknown>) : undefined;
}
