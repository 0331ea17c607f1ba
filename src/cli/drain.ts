import type { OutStream } from "./context.js";

/**
 * Resolves once `stream` has passed on what it was given, at once if it is not backed up. A
 * command writing a long listing to a slow pipe awaits this between chunks: otherwise everything
 * it writes waits in memory for the reader. (A reader that goes away ends the process: main.ts
 * exits on EPIPE.)
 */
export function drained(stream: OutStream): Promise<void> {
  if (!stream.writableNeedDrain || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
