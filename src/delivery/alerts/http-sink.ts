import { maskUrl } from "../../contract/mask.js";
import { sign } from "../../signing/index.js";
import { firstBodyLine } from "../send-outcome.js";
import type { AttemptFn } from "../types.js";
import type { AlertSink, SinkAnswer } from "./types.js";

export interface HttpSinkOptions {
  /** Signs with the hookctl scheme when given (primary first); none: sent unsigned. */
  secrets: readonly string[];
  /** The delivery engine's attempt function (one POST over undici, bounded by its timeout). */
  attempt: AttemptFn;
  now: () => number;
  userAgent: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

export const defaultAlertTimeoutMs = 10_000;

/** The event type an alert webhook carries in `X-Webhook-Event` (and as its `type`). */
export const alertEventType = "delivery.dead";

/**
 * `--alert-url <url>`: POST the alert as JSON, signed like any hookctl delivery (X-Signature over
 * the body), with the alert id as `X-Webhook-Delivery-ID` so a receiver — `hookctl listen`
 * included — dedupes re-sends. A 2xx confirms it; anything else is a failed try.
 */
export function httpSink(url: string, options: HttpSinkOptions): AlertSink {
  const timeoutMs = options.timeoutMs ?? defaultAlertTimeoutMs;
  return {
    name: `url:${url}`,
    label: `url:${maskUrl(url)}`,
    async send(message, signal): Promise<SinkAnswer> {
      const body = Buffer.from(message.body);
      const timestamp = Math.floor(options.now() / 1000);
      const headers: Record<string, string> = {
        "Content-Type": "application/json",
        "User-Agent": options.userAgent,
        "X-Webhook-Delivery-ID": message.alert.id,
        "X-Webhook-Event": alertEventType,
        "X-Webhook-Timestamp": String(timestamp),
      };
      if (options.secrets.length > 0) {
        const signed = sign({
          scheme: "hookctl",
          body,
          secrets: options.secrets,
          id: message.alert.id,
          timestamp,
        });
        Object.assign(headers, signed.headers);
      }
      const outcome = await options.attempt({ url, headers, body, timeoutMs }, signal);
      const code = outcome.statusCode;
      if (code !== null && code >= 200 && code < 300) return { ok: true };
      const said = firstBodyLine(outcome.responseBody);
      const error = outcome.errorMessage ?? `HTTP ${code}`;
      return { ok: false, error: said ? `${error}: ${said}` : error };
    },
  };
}
