import { accessSync, chmodSync, constants, existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../errors.js";

/**
 * Checks on the file behind a delivery log before SQLite touches it: it must be a regular file
 * (not /dev/null, a FIFO or a directory), and it must not be readable by other users, since it
 * holds signing secrets.
 */

/** A log path that names something other than a regular file is refused, never opened. */
export function requireRegularFile(path: string): void {
  let kind: string | undefined;
  try {
    const stat = statSync(path);
    if (stat.isFile()) return;
    kind = stat.isDirectory()
      ? "a directory"
      : stat.isFIFO()
        ? "a FIFO"
        : stat.isCharacterDevice()
          ? "a device"
          : "not a regular file";
  } catch {
    return; // missing: the caller creates it, or says it is missing
  }
  throw new UsageError(`${resolve(path)} is ${kind}, not a delivery log`, "pass --db <path> to a log file");
}

/**
 * The log and its WAL files are made private (0600) when they are readable or writable by
 * others; a file hookctl may not change is refused rather than written secrets into.
 */
export function tightenMode(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) === 0) continue;
    try {
      chmodSync(file, mode & 0o700);
    } catch (error) {
      throw new UsageError(
        `${resolve(file)} is readable by other users (mode ${mode.toString(8)}) and hookctl cannot change that (${(error as NodeJS.ErrnoException).code ?? "error"})`,
        `it holds signing secrets: chmod 600 ${file}, or pass --db <path> to a log of your own`,
        error,
      );
    }
  }
}

/** Whether this process may write the log (and so migrate it, and keep its WAL). */
export function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
