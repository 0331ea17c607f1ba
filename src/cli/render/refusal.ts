import type { DeadReason } from "../../delivery/policy.js";
import { escapeControl } from "../../format/escape.js";
import type { Styles } from "../output.js";

/**
 * Why a receiver said no, in the words a sender needs: the first line of its body and, for the
 * answers whose cause is nearly always on the sender's side, what to check.
 */

/** Columns of the receiver's first line shown on an attempt line. */
const bodyColumns = 80;

/** `"signature does not match any secret"`: escaped, on one line, cut to about 80 columns. */
export function quotedBodyLine(line: string | null | undefined): string {
  if (!line) return "";
  const flat = escapeControl(line.replace(/\s+/g, " ").trim());
  if (flat === "") return "";
  return `"${flat.length > bodyColumns ? `${flat.slice(0, bodyColumns - 1)}…` : flat}"`;
}

/** What a 401, 403 or 404 from a receiver most likely means; undefined for other answers. */
export function refusalHint(statusCode: number | null): string | undefined {
  if (statusCode === 401 || statusCode === 403) {
    return "the receiver rejected the signature? check the endpoint's secret and scheme";
  }
  if (statusCode === 404) {
    return "wrong path? check the URL (hookctl listen accepts any path unless --path narrows it)";
  }
  return undefined;
}

/** ` "first line" — hint` after a failed status; empty for a success or a silent receiver. */
export function refusalText(
  attempt: { statusCode: number | null; bodyLine: string | null | undefined },
  style: Styles,
): string {
  const code = attempt.statusCode;
  if (code === null || (code >= 200 && code < 300)) return "";
  const quoted = quotedBodyLine(attempt.bodyLine);
  const hint = refusalHint(code);
  return `${quoted ? ` ${quoted}` : ""}${hint ? style.dim(` — ${hint}`) : ""}`;
}

/** A dead reason in words: `410 Gone`, `retries exhausted`, `rejected (401, not retried)`. */
export function deadReasonWords(
  reason: DeadReason | "endpoint-removed" | "damaged" | null,
  statusCode: number | null,
): string {
  switch (reason) {
    case "gone":
      return "410 Gone";
    case "rejected":
      return `rejected (${statusCode ?? "4xx"}, not retried)`;
    case "endpoint-removed":
      return "endpoint removed";
    case "damaged":
      return "stored row damaged";
    default:
      return "retries exhausted";
  }
}
