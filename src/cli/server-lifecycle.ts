import { accessSync, constants, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "../errors.js";

/**
 * Refuse a ready file that could not be written, before a server starts: written only once
 * everything runs, its failure would otherwise come after the server announced itself.
 */
export function checkReadyFile(path: string | undefined, cwd: string): void {
  if (path === undefined) return;
  const dir = dirname(resolve(cwd, path));
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw readyFileError(path, error);
  }
}

/** Written whole or not at all, so a script polling the file never reads half a URL. */
export function writeReadyFile(path: string, url: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${url}\n`);
    renameSync(temp, path);
  } catch (error) {
    throw readyFileError(path, error);
  }
}

/** Both refusals of a ready file say the same: which file, the system's code, where to look. */
function readyFileError(path: string, error: unknown): UsageError {
  return new UsageError(
    `cannot write the ready file ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    "check --ready-file's directory",
    error,
  );
}

/** Resolves once the signal is aborted (SIGINT/SIGTERM). */
export function interrupted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
