import { openDb } from "../../src/store/open.js";
import { tempDb } from "./tmp.js";

/**
 * A log that exists and holds nothing, as the first `send` or `endpoint add` leaves it: commands
 * that only read refuse a path with no log at all.
 */
export function emptyLog(): string {
  const path = tempDb();
  openDb(path).close();
  return path;
}
