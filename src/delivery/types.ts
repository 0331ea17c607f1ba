import type { ErrorClass, TlsSetting } from "../store/types.js";

/** One HTTP request to make: the signed headers and the exact body bytes. */
export interface AttemptRequest {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Bounds connect, response headers and body together. */
  timeoutMs: number;
  /** How an https target's certificate is checked; null or absent: the system's trust store. */
  tls?: TlsSetting | null;
}

/** What one attempt produced. Network failures are data here, not exceptions. */
export interface AttemptOutcome {
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  responseHeaders: Record<string, string> | null;
  /** At most 64 KiB; `responseTruncated` says whether more was cut. */
  responseBody: Uint8Array | null;
  responseTruncated: boolean;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
}

/** Performs one attempt; injected so tests and benches control the HTTP client (undici dispatcher). */
export type AttemptFn = (request: AttemptRequest, signal?: AbortSignal) => Promise<AttemptOutcome>;
