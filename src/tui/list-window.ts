import type { BrowseQuery, DeliveryBrowser, DeliverySummary } from "../store/browse.js";

/**
 * The visible slice of a list that may hold 100,000 rows, kept as two ids rather than offsets:
 * the row at the top of the screen and the selected row. Ids survive inserts, deletes and
 * status changes made by other processes, so the cursor stays on its delivery across refreshes,
 * and every move is a handful of LIMIT queries from an id (never an OFFSET into the table).
 */

export interface ListPosition {
  /** The first visible row; null pins the view to the newest row. */
  topId: string | null;
  selectedId: string | null;
}

export interface ListWindow extends ListPosition {
  /** Exactly the visible rows, newest first. */
  rows: DeliverySummary[];
  hasNewer: boolean;
  hasOlder: boolean;
}

export type Move = "up" | "down" | "pageUp" | "pageDown" | "top" | "bottom";

/** Where a key press moves the selection (and, for page and edge moves, the view). */
export function move(
  browser: DeliveryBrowser,
  query: BrowseQuery,
  window: ListWindow,
  how: Move,
  height: number,
): ListPosition {
  const selected = window.selectedId;
  if (selected === null) return { topId: null, selectedId: null };
  const top = window.rows[0]?.id ?? selected;
  switch (how) {
    case "down":
      return { topId: window.topId, selectedId: browser.step(query, selected, "older", 1) ?? selected };
    case "up":
      return { topId: window.topId, selectedId: browser.step(query, selected, "newer", 1) ?? selected };
    case "pageDown":
      return {
        topId: browser.step(query, top, "older", height) ?? window.topId,
        selectedId: browser.step(query, selected, "older", height) ?? selected,
      };
    case "pageUp":
      return {
        topId: browser.step(query, top, "newer", height) ?? window.topId,
        selectedId: browser.step(query, selected, "newer", height) ?? selected,
      };
    case "top":
      return { topId: null, selectedId: browser.edge(query, "newest") ?? null };
    case "bottom": {
      const oldest = browser.edge(query, "oldest");
      if (oldest === undefined) return { topId: null, selectedId: null };
      return { topId: browser.step(query, oldest, "newer", height - 1) ?? oldest, selectedId: oldest };
    }
  }
}

/**
 * Load the rows for a position and repair it: a selected row that vanished (purged, requeued
 * out of this tab) gives way to its older neighbour, the selection is scrolled into view, a
 * short last page is filled from above, and a view whose top is the newest row is pinned there.
 */
export function settle(
  browser: DeliveryBrowser,
  query: BrowseQuery,
  position: ListPosition,
  height: number,
): ListWindow {
  const rows = Math.max(1, height);
  let { topId, selectedId } = position;
  let page = browser.page(query, topId, rows + 1);
  if (selectedId === null) {
    selectedId = page[0]?.id ?? null;
  } else if (!page.slice(0, rows).some((row) => row.id === selectedId)) {
    if (!browser.find(query, selectedId)) {
      selectedId =
        browser.step(query, selectedId, "older", 1) ?? browser.step(query, selectedId, "newer", 1) ?? null;
    }
    if (selectedId !== null && !page.slice(0, rows).some((row) => row.id === selectedId)) {
      const first = page[0]?.id;
      topId =
        first === undefined || selectedId > first
          ? selectedId
          : (browser.step(query, selectedId, "newer", rows - 1) ?? selectedId);
    }
    page = browser.page(query, topId, rows + 1);
  }
  if (page.length < rows && topId !== null) {
    topId = browser.step(query, page[0]?.id ?? topId, "newer", rows - page.length) ?? topId;
    page = browser.page(query, topId, rows + 1);
  }
  const first = page[0]?.id;
  const hasNewer = first !== undefined && browser.step(query, first, "newer", 1) !== undefined;
  if (!hasNewer) topId = null;
  return { topId, selectedId, rows: page.slice(0, rows), hasNewer, hasOlder: page.length > rows };
}
