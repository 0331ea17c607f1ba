import { bodyBytesOf } from "../contract/body.js";
import type { AttemptJson, DeliveryDetailJson } from "../contract/schema/delivery.js";
import type { DeliveryStatus } from "../store/types.js";
import {
  age,
  bodyLines,
  clip,
  clock,
  latency,
  outcome,
  printable,
  snippet,
  statusName,
  until,
  wrap,
} from "./format.js";
import { responseLines } from "./response-lines.js";

/**
 * Everything the detail screen shows about one delivery: the contract's delivery-detail, the
 * same object `log show --json` prints, credentials already masked.
 */
export type DeliveryDetailData = DeliveryDetailJson;

export type Tone = "heading" | "label" | "dim" | "bad" | "good" | "warn" | undefined;

/** One screen line of the detail, already cut to the width; the screen scrolls over these. */
export interface DetailLine {
  text: string;
  tone?: Tone;
}

export interface DetailOptions {
  width: number;
  now: number;
}

const labelWidth = 12;

/** The detail as lines: summary, request headers (masked), body, then the attempt timeline. */
export function detailLines(data: DeliveryDetailData, options: DetailOptions): DetailLine[] {
  const { delivery, event, attempts } = data;
  const { width, now } = options;
  const lines: DetailLine[] = [];
  const field = (label: string, value: string, tone?: Tone) => {
    for (const line of wrap(`${label.padEnd(labelWidth)}${printable(value)}`, width))
      lines.push({ text: line, tone });
  };
  const blank = () => lines.push({ text: "" });
  const heading = (text: string) => lines.push({ text: clip(text, width).trimEnd(), tone: "heading" });

  const at = (instant: string) => Date.parse(instant);
  field("Delivery", delivery.id);
  field(
    "Status",
    `${statusName(delivery.status)} after ${delivery.attemptCount} attempt${delivery.attemptCount === 1 ? "" : "s"}`,
    statusTone(delivery.status),
  );
  field("Event", `${event.id}  ${event.type}`);
  field("Endpoint", delivery.endpoint ? `${delivery.endpoint}  ${delivery.url}` : delivery.url);
  const created = at(delivery.createdAt);
  field("Created", `${clock(created)}  (${age(now - created)} ago)`);
  if (delivery.nextAttemptAt !== null) {
    const next = at(delivery.nextAttemptAt);
    field("Next", `${clock(next)}  (${until(next, now)}, ${delivery.nextTrigger})`, "warn");
  }
  if (delivery.lastAttempt?.error) field("Last error", delivery.lastAttempt.error, "bad");

  blank();
  const last = attempts.at(-1);
  // In the order they were sent, as `log show` lists them.
  const headers = last?.requestHeaders ?? delivery.headers;
  heading(
    last ? `Request headers (attempt ${last.number})` : "Request headers (extra; signing adds the rest)",
  );
  if (headers.length === 0) lines.push({ text: "  (none)", tone: "dim" });
  for (const { name, value } of headers) {
    for (const line of wrap(`  ${printable(name)}: ${printable(value)}`, width)) lines.push({ text: line });
  }

  blank();
  const body = bodyLines(bodyBytesOf(event) ?? new Uint8Array(0), event.contentType);
  heading(`Body (${body.kind}, ${event.size} bytes, ${printable(event.contentType)})`);
  if (body.lines.length === 0) lines.push({ text: "  (empty)", tone: "dim" });
  for (const source of body.lines) for (const line of wrap(`  ${source}`, width)) lines.push({ text: line });

  blank();
  heading(`Attempts (${attempts.length})`);
  if (attempts.length === 0) lines.push({ text: "  none yet", tone: "dim" });
  for (const attempt of attempts) {
    const failedAnswer = attempt.statusCode !== null && !succeeded(attempt.statusCode);
    lines.push(attemptLine(attempt, width, failedAnswer));
    // What the receiver said when it refused: the reason is usually in the body.
    if (failedAnswer) lines.push(...responseLines(attempt, width));
  }
  return lines;
}

const succeeded = (statusCode: number) => statusCode >= 200 && statusCode < 300;

/** The attempt in one line; a failed answer's body follows it on lines of its own instead. */
function attemptLine(attempt: AttemptJson, width: number, failedAnswer: boolean): DetailLine {
  const startedAt = Date.parse(attempt.startedAt);
  const result =
    attempt.statusCode !== null ? `HTTP ${attempt.statusCode}` : outcome(null, attempt.errorClass);
  const ok = attempt.statusCode !== null && succeeded(attempt.statusCode);
  const head = [
    clip(`#${attempt.number}`, 4),
    // Narrow terminals get the time of day only.
    width >= 90 ? clock(startedAt) : clock(startedAt).slice(11),
    clip(attempt.trigger, 9),
    clip(result, 9),
    clip(latency(attempt.durationMs), 8, "right"),
  ].join("  ");
  const rest = width - head.length - 2 - 2;
  const detail =
    attempt.statusCode === null && attempt.error
      ? printable(attempt.error)
      : failedAnswer
        ? ""
        : snippet(
            bodyBytesOf({ body: attempt.responseBody, bodyBase64: attempt.responseBodyBase64 }),
            Math.max(0, rest),
          );
  const text = clip(`  ${head}  ${detail}`, width).trimEnd();
  return { text, tone: ok ? "good" : "bad" };
}

function statusTone(status: DeliveryStatus): Tone {
  if (status === "dead") return "bad";
  if (status === "succeeded") return "good";
  return "warn";
}
