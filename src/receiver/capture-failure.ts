import { storeFault } from "../store/write-errors.js";

/** A capture that could not be committed. The message is one line, fit for a 503's body and stderr. */
export class CaptureError extends Error {
  override name = "CaptureError";
  /** SQLite's code (SQLITE_BUSY, SQLITE_FULL…) when the store gave one. */
  readonly code: string | null;

  constructor(message: string, code: string | null, cause?: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

/**
 * What a failed commit means for the user, in one line: a lock (held past `busyTimeoutMs`, when
 * known), a full disk, or the store's own words.
 */
export function captureFailure(error: unknown, busyTimeoutMs?: number): CaptureError {
  if (error instanceof CaptureError) return error;
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === "string" ? raw : null;
  let reason = storeFault(error)?.message ?? describe(error);
  if (code?.startsWith("SQLITE_BUSY") && busyTimeoutMs !== undefined)
    reason += ` for over ${busyTimeoutMs} ms`;
  return new CaptureError(oneLine(reason), code, error);
}

/** An error's message, or what it is when it has none (errors from a worker may be plain values). */
export function describe(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && message !== "" ? message : String(error);
}

function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
