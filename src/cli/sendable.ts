import { unsendableReason } from "../delivery/header-value.js";
import { UsageError } from "../errors.js";

/**
 * What can go out as an HTTP header, checked before anything is stored: a value that can never
 * be sent would otherwise be retried as "reset" for a hundred minutes.
 */

/** Headers HTTP itself manages (framing, connection management): a -H value would break the request. */
const managed = new Map([
  ["content-length", "undici sets it from the body"],
  ["transfer-encoding", "undici frames the body itself"],
  ["connection", "a hop-by-hop header: undici manages connections"],
  ["keep-alive", "a hop-by-hop header: undici manages connections"],
  ["proxy-connection", "a hop-by-hop header: undici manages connections"],
  ["upgrade", "a delivery is a plain POST, not a protocol switch"],
  ["te", "a hop-by-hop header: undici manages it"],
  ["trailer", "a delivery sends no trailers"],
  ["expect", "undici does not wait for 100-continue"],
  ["host", "it comes from the target URL"],
]);

/** A -H header that hookctl can send on every attempt, or a UsageError (exit 2). */
export function checkSendableHeader(name: string, value: string): void {
  const why = managed.get(name.toLowerCase());
  if (why) throw new UsageError(`-H cannot set ${name}`, why);
  const reason = unsendableReason(value);
  if (reason) throw new UsageError(`the value of -H ${name} ${reason}`, "send it in the body instead");
}

/** Anything else that becomes a header value (`--event` as X-Webhook-Event, `sign --id`). */
export function checkHeaderBound(flag: string, value: string): void {
  const reason = unsendableReason(value);
  if (reason) throw new UsageError(`${flag} ${reason}`, `${flag} becomes a header value: use plain text`);
}
