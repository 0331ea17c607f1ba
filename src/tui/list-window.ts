import type { BrowseQuery, DeliverySummary } from "../store/browse.js";
import type { Answer, BrowsePort } from "../store/ports/browse.js";
import { ask, type Reads, runReads } from "./reads.js";

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
  browser: BrowsePort,
  query: BrowseQuery,
  window: ListWindow,
  how: Move,
  height: number,
): Answer<ListPosition> {
  return runReads(moveReads(query, window, how, height), browser);
}

export function* moveReads(
  query: BrowseQuery,
  window: ListWindow,
  how: Move,
  height: number,
): Reads<ListPosition> {
  const selected = window.selectedId;
  if (selected === null) return { topId: null, selectedId: null };
  const top = window.rows[0]?.id ?? selected;
  const step = (from: string, direction: "older" | "newer", n: number) =>
    ask((browser) => browser.step(query, from, direction, n));
  switch (how) {
    case "down":
      return { topId: window.topId, selectedId: (yield* step(selected, "older", 1)) ?? selected };
    case "up":
      return { topId: window.topId, selectedId: (yield* step(selected, "newer", 1)) ?? selected };
    case "pageDown":
      return {
        topId: (yield* step(top, "older", height)) ?? window.topId,
        selectedId: (yield* step(selected, "older", height)) ?? selected,
      };
    case "pageUp":
      return {
        topId: (yield* step(top, "newer", height)) ?? window.topId,
        selectedId: (yield* step(selected, "newer", height)) ?? selected,
      };
    case "top":
      return { topId: null, selectedId: (yield* ask((browser) => browser.edge(query, "newest"))) ?? null };
    case "bottom": {
      const oldest = yield* ask((browser) => browser.edge(query, "oldest"));
      if (oldest === undefined) return { topId: null, selectedId: null };
      return { topId: (yield* step(oldest, "newer", height - 1)) ?? oldest, selectedId: oldest };
    }
  }
}

/**
 * Load the rows for a position and repair it: a selected row that vanished (purged, requeued
 * out of this tab) gives way to its older neighbour, the selection is scrolled into view, a
 * short last page is filled from above, and a view whose top is the newest row is pinned there.
 */
export function settle(
  browser: BrowsePort,
  query: BrowseQuery,
  position: ListPosition,
  height: number,
): Answer<ListWindow> {
  return runReads(settleReads(query, position, height), browser);
}

export function* settleReads(query: BrowseQuery, position: ListPosition, height: number): Reads<ListWindow> {
  const rows = Math.max(1, height);
  let { topId, selectedId } = position;
  const pageFrom = (from: string | null) => ask((browser) => browser.page(query, from, rows + 1));
  const step = (from: string, direction: "older" | "newer", n: number) =>
    ask((browser) => browser.step(query, from, direction, n));
  let page = yield* pageFrom(topId);
  if (selectedId === null) {
    selectedId = page[0]?.id ?? null;
  } else if (!page.slice(0, rows).some((row) => row.id === selectedId)) {
    const gone = selectedId;
    if (!(yield* ask((browser) => browser.find(query, gone)))) {
      selectedId = (yield* step(gone, "older", 1)) ?? (yield* step(gone, "newer", 1)) ?? null;
    }
    if (selectedId !== null && !page.slice(0, rows).some((row) => row.id === selectedId)) {
      const first = page[0]?.id;
      topId =
        first === undefined || selectedId > first
          ? selectedId
          : ((yield* step(selectedId, "newer", rows - 1)) ?? selectedId);
    }
    page = yield* pageFrom(topId);
  }
  if (page.length < rows && topId !== null) {
    topId = (yield* step(page[0]?.id ?? topId, "newer", rows - page.length)) ?? topId;
    page = yield* pageFrom(topId);
  }
  const first = page[0]?.id;
  const hasNewer = first !== undefined && (yield* step(first, "newer", 1)) !== undefined;
  if (!hasNewer) topId = null;
  return { topId, selectedId, rows: page.slice(0, rows), hasNewer, hasOlder: page.length > rows };
}
