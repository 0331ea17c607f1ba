import type { Db } from "./open.js";

/**
 * relay_listeners: which `listen --from` reads a relay channel into this log. Two at once would
 * each capture and forward every request; so a listener holds its source, renews the hold while
 * it runs and lets go when it stops. A hold that lapsed (its process died elsewhere) or whose
 * process is gone from this host may be taken over.
 */
export interface ListenerHold {
  /** The holding run's own random id. */
  holder: string;
  host: string;
  pid: number;
  /** Until when (ms since the epoch), unless renewed. */
  heldUntil: number;
}

/** The hold on `source`, lapsed or not; undefined when nobody holds it. */
export function readRelayListener(db: Db, source: string): ListenerHold | undefined {
  const row = db
    .prepare("SELECT holder, host, pid, held_until AS heldUntil FROM relay_listeners WHERE source = ?")
    .get(source) as ListenerHold | undefined;
  return row;
}

/**
 * Hold `source` as `hold`, only if it is still as the caller saw it: `seen` (its holder and
 * held_until) or, with null, not held at all. False: another listener got there first.
 */
export function takeRelayListener(
  db: Db,
  source: string,
  hold: ListenerHold,
  seen: Pick<ListenerHold, "holder" | "heldUntil"> | null,
): boolean {
  if (seen === null) {
    return (
      db
        .prepare(
          "INSERT INTO relay_listeners (source, holder, host, pid, held_until) VALUES (?, ?, ?, ?, ?) ON CONFLICT (source) DO NOTHING",
        )
        .run(source, hold.holder, hold.host, hold.pid, hold.heldUntil).changes === 1
    );
  }
  return (
    db
      .prepare(
        "UPDATE relay_listeners SET holder = ?, host = ?, pid = ?, held_until = ? WHERE source = ? AND holder = ? AND held_until = ?",
      )
      .run(hold.holder, hold.host, hold.pid, hold.heldUntil, source, seen.holder, seen.heldUntil).changes ===
    1
  );
}

/** Extend `holder`'s hold on `source`; false when it is no longer its own (taken over). */
export function renewRelayListener(db: Db, source: string, holder: string, heldUntil: number): boolean {
  return (
    db
      .prepare("UPDATE relay_listeners SET held_until = ? WHERE source = ? AND holder = ?")
      .run(heldUntil, source, holder).changes === 1
  );
}

/** Let go of `source`, if `holder` still holds it. */
export function releaseRelayListener(db: Db, source: string, holder: string): void {
  db.prepare("DELETE FROM relay_listeners WHERE source = ? AND holder = ?").run(source, holder);
}
