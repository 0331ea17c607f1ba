import { renameSync, writeFileSync } from "node:fs";
import { UsageError } from "../errors.js";

/** Written whole or not at all, so a script polling the file never reads half a URL. */
export function writeReadyFile(path: string, url: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${url}\n`);
    renameSync(temp, path);
  } catch (error) {
    throw new UsageError(
      `cannot write the ready file ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      "check --ready-file's directory",
      error,
    );
  }
}

/** Resolves once the signal is aborted (SIGINT/SIGTERM). */
export function interrupted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
