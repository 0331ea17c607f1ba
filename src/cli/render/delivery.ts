import { formatDuration } from "../../config/duration.js";
import { maskHeaders, maskSecret, maskSecretsIn, maskUrl } from "../../contract/mask.js";
import { parsePolicy } from "../../delivery/policy.js";
import { escapeControl } from "../../format/escape.js";
import type { DeliveryDetail } from "../../store/deliveries.js";
import type { AttemptRow } from "../../store/types.js";
import type { Styles } from "../output.js";
import { bodyLines, bodyText } from "./body.js";
import { count } from "./count.js";
import { deadReasonOf, nextAttemptWords, resultLabel, statusMarks } from "./delivery-view.js";
import { policyWords } from "./policy.js";
import { refusalHint } from "./refusal.js";
import { clockTime, dateTime, when } from "./time.js";

export {
  type DeliveryView,
  type LastAttemptView,
  resultLabel,
  sendLine,
  viewOfListItem,
  viewOfOutcome,
} from "./delivery-view.js";

/**
 * One delivery in full, for `log show` and `dlq show`: {@link renderDeliveryDetail} for people,
 * {@link deliveryJson} for scripts. Both mask credentials and every secret in the detail.
 */

/**
 * `log show` / `dlq show`: the delivery, its event, the request headers of the latest attempt
 * (secret-bearing values masked), the body, the attempt timeline and the next attempt time.
 */
export function renderDeliveryDetail(
  detail: DeliveryDetail,
  style: Styles,
  options: { now: number },
): string[] {
  const { delivery: d, event, attempts, secrets } = detail;
  const policy = parsePolicy(d.policy, `deliveries ${d.id} policy`);
  const lines: string[] = [];
  const mark = statusMarks[d.status](style);
  lines.push(`${mark} ${style.bold(d.id)}  ${d.status}${nextText(detail, options.now, style)}`);
  const field = (name: string, value: string) => lines.push(`  ${style.dim(name.padEnd(9))} ${value}`);
  field(
    "event",
    `${escapeControl(event.type)}  ${style.dim(event.id)}  created ${dateTime(event.createdAt)}`,
  );
  field("target", `${detail.endpointName ? `${detail.endpointName}  ` : ""}${maskUrl(d.url, secrets)}`);
  const signing = d.secrets
    ? `${d.secrets.length} secret${d.secrets.length === 1 ? "" : "s"} (${d.secrets.map(maskSecret).join(", ")})`
    : d.endpointId
      ? "the endpoint's current secrets"
      : "unsigned";
  field("signing", `${d.scheme}, ${signing}`);
  if (d.tls)
    field(
      "tls",
      d.tls.insecure ? "certificate not verified (--insecure)" : "verified against the stored CA (--ca)",
    );
  field("policy", `${policyWords(policy)}, timeout ${formatDuration(d.timeoutMs)}`);
  field(
    "attempts",
    `${d.attemptCount}${d.status === "pending" ? ` (${d.scheduleAttempts} of ${policy.retries + 1} in this schedule)` : ""}`,
  );
  if (d.status === "dead") field("reason", deadReasonOf(d));
  if (d.damage)
    field("damaged", style.warn(`${escapeControl(d.damage)} (shown with safe stand-ins; never sent)`));

  const latest = attempts.at(-1);
  lines.push(
    "",
    style.bold(
      latest ? `Request headers (attempt ${latest.number})` : "Request headers (added to each attempt)",
    ),
  );
  const headers = maskHeaders(latest ? latest.requestHeaders : d.extraHeaders, secrets);
  if (Object.keys(headers).length === 0) lines.push(style.dim("  (none besides what hookctl adds)"));
  for (const [name, value] of Object.entries(headers))
    lines.push(`  ${escapeControl(name)}: ${escapeControl(value)}`);

  lines.push("", style.bold(`Body (${count(event.body.length)} bytes, ${event.contentType})`));
  for (const line of bodyLines(event.body, style)) lines.push(`  ${line}`);

  lines.push("", style.bold("Attempts"));
  if (attempts.length === 0) lines.push(style.dim("  none yet"));
  for (const attempt of attempts) lines.push(attemptLine(attempt, style, secrets));
  return lines;
}

function nextText(detail: DeliveryDetail, now: number, style: Styles): string {
  const d = detail.delivery;
  if (d.status !== "pending" || d.nextAttemptAt === null) return "";
  const which = nextAttemptWords(d);
  const wait = d.nextAttemptAt > now ? ` (in ${formatDuration(d.nextAttemptAt - now)})` : " (due now)";
  return ` · ${which} at ${when(d.nextAttemptAt, now)}${wait}${style.dim(" — run hookctl replay")}`;
}

function attemptLine(a: AttemptRow, style: Styles, secrets: readonly string[]): string {
  const ok = a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300;
  const result = (ok ? style.ok : style.fail)(resultLabel(a).padEnd(7));
  const parts = [
    `  #${String(a.number).padEnd(3)}`,
    a.trigger.padEnd(9),
    style.dim(clockTime(a.startedAt)),
    result,
    formatDuration(a.durationMs).padStart(9),
  ];
  if (!ok && a.errorMessage) parts.push(a.errorMessage);
  const snippet = responseSnippet(a, secrets);
  if (snippet) parts.push(style.dim(snippet));
  const hint = refusalHint(a.statusCode);
  if (hint) parts.push(style.dim(`— ${hint}`));
  if (a.damage) parts.push(style.warn(`(damaged: ${escapeControl(a.damage)})`));
  return parts.join("  ");
}

/** The start of the response body on one line, quoted; binary bodies by size only. */
function responseSnippet(a: AttemptRow, secrets: readonly string[]): string {
  if (!a.responseBody || a.responseBody.length === 0) return "";
  const text = bodyText(a.responseBody);
  if (text === undefined) return `(${a.responseBody.length} bytes binary)`;
  const flat = maskSecretsIn(text, secrets).replace(/\s+/g, " ").trim();
  const cut = flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
  return `${JSON.stringify(cut)}${a.responseTruncated ? " (truncated at 64 KiB)" : ""}`;
}
