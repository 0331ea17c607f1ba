import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.js";

/**
 * Where the delivery log lives: --db, then HOOKCTL_DB, then the XDG state directory.
 * A path, not a file: the store creates it (and its parents) on first use.
 */
export function resolveDbPath(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag !== undefined && flag.trim() === "") {
    throw new UsageError("--db is empty", "give the log's path, or leave --db out for the default");
  }
  if (flag) return flag;
  if (env.HOOKCTL_DB) return env.HOOKCTL_DB;
  const stateHome = env.XDG_STATE_HOME || join(env.HOME || homedir(), ".local", "state");
  return join(stateHome, "hookctl", "hookctl.db");
}
