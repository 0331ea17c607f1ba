import { bodyBytesOf } from "../contract/body.js";
import type { AttemptJson } from "../contract/schema/delivery.js";
import type { DetailLine } from "./detail-lines.js";
import { bodyLines, clip, printable, wrap } from "./format.js";

/** Body lines shown under a failed attempt; the detail is not the place to read a whole page. */
export const maxResponseLines = 8;

const indent = "       ";

/**
 * Under a failed attempt: the response's status and content type, then the first lines of what
 * the receiver answered (JSON re-indented, text as sent, binary as hex; control characters made
 * visible), wrapped to the width, with how many more lines there are.
 */
export function responseLines(attempt: AttemptJson, width: number): DetailLine[] {
  const headers = attempt.responseHeaders ?? [];
  const contentType = headers.find((header) => header.name.toLowerCase() === "content-type")?.value ?? "";
  const bytes = bodyBytesOf({ body: attempt.responseBody, bodyBase64: attempt.responseBodyBase64 });
  const size = bytes?.length ?? 0;
  const about = [
    `response ${attempt.statusCode ?? "-"}`,
    contentType === "" ? undefined : printable(contentType),
    size === 0 ? "empty body" : `${size} bytes${attempt.responseTruncated ? " (cut at the limit)" : ""}`,
  ].filter((part) => part !== undefined);
  const lines: DetailLine[] = [{ text: clip(`${indent}${about.join(" · ")}`, width).trimEnd(), tone: "dim" }];
  if (!bytes || size === 0) return lines;
  const body = bodyLines(bytes, contentType);
  const wrapped = body.lines.flatMap((line) => wrap(`${indent}${line}`, width, `${indent}  `));
  const shown = wrapped.length > maxResponseLines + 1 ? maxResponseLines : wrapped.length;
  for (const text of wrapped.slice(0, shown)) lines.push({ text });
  if (wrapped.length > shown) {
    lines.push({ text: `${indent}… ${wrapped.length - shown} more lines`, tone: "dim" });
  }
  return lines;
}
