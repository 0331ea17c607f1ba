import type { BrowseStatus } from "../store/browse.js";
import type { FooterProps } from "./Footer.js";
import { statusName, thousands } from "./format.js";
import type { DeliveriesView } from "./use-deliveries.js";

/** The line above the footer when nothing just happened: where you are in what. */
export function statusLine(
  view: DeliveriesView,
  screen: string | undefined,
  openId: string | null,
): FooterProps["message"] {
  if (view.error) return { text: `cannot read the log: ${view.error}`, tone: "error" };
  if (screen === "detail" && openId) return { text: `delivery ${openId}`, tone: "info" };
  if (screen !== "list") return undefined;
  const status = view.query.status;
  const noun = status === "all" ? "deliveries" : statusName(status);
  const more = view.window.hasOlder ? " · more below" : "";
  return {
    text: `${thousands(view.counts[status])} ${noun} · newest first${more}`,
    tone: "info",
  };
}

/** What an empty list says, with the next thing to try. */
export function emptyMessage(status: BrowseStatus, filter: string): string {
  if (filter.trim() !== "")
    return `Nothing here matches "${filter}". Esc clears the filter, Tab tries another status.`;
  if (status === "dead") return "No dead letters. Deliveries that exhaust their retries land here.";
  if (status === "all") return "The log is empty. Try: hookctl send <url> --fixture order.created";
  return `No ${statusName(status)} deliveries. Tab switches status.`;
}
