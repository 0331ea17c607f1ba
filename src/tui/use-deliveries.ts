import { useCallback, useEffect, useRef, useState } from "react";
import type { BrowseCounts, BrowseQuery, BrowseStatus, DeliveryBrowser } from "../store/browse.js";
import type { InspectStore } from "./inspect-store.js";
import { type ListPosition, type ListWindow, type Move, move, settle } from "./list-window.js";

/** A broad filter over a huge log is counted only this far ("9,999+"). */
export const matchCap = 9_999;

export interface DeliveriesView {
  query: BrowseQuery;
  window: ListWindow;
  counts: BrowseCounts;
  /** How many rows the filter matches in this tab, when a filter is set. */
  matching: { count: number; capped: boolean } | undefined;
  /** Bumped whenever the log changed (another process, or our own requeue/purge). */
  version: number;
}

export interface UseDeliveriesOptions {
  status: BrowseStatus;
  filter?: string;
  /** Visible list rows. */
  height: number;
  /** How often to look for changes made by other processes. */
  pollMs: number;
  now: () => number;
}

export interface Deliveries {
  view: DeliveriesView;
  /** The clock as of the last poll, so ages tick without a render per second per row. */
  now: number;
  move(how: Move): void;
  setStatus(status: BrowseStatus): void;
  setFilter(filter: string): void;
  /** Reload everything, keeping the cursor on its delivery (after our own writes). */
  refresh(): void;
}

function load(
  browser: DeliveryBrowser,
  query: BrowseQuery,
  position: ListPosition,
  height: number,
  previous: { counts?: BrowseCounts; matching?: DeliveriesView["matching"]; version: number },
): DeliveriesView {
  const filtered = (query.filter ?? "").trim() !== "";
  return {
    query,
    window: settle(browser, query, position, height),
    counts: previous.counts ?? browser.counts(),
    matching: filtered ? (previous.matching ?? browser.countMatching(query, matchCap)) : undefined,
    version: previous.version,
  };
}

function read(ref: { current: DeliveriesView | undefined }): DeliveriesView {
  return ref.current as DeliveriesView;
}

/**
 * The list state behind the app: which tab and filter, which rows are visible, where the cursor
 * is. Every change is computed synchronously (better-sqlite3) and committed as one render. A
 * timer polls `PRAGMA data_version`, a read of one number, and reloads only when another
 * process wrote to the log; the cursor stays on its delivery across reloads.
 */
export function useDeliveries(store: InspectStore, options: UseDeliveriesOptions): Deliveries {
  const { browser } = store;
  const { height, pollMs, now: clock } = options;
  const latest = useRef<DeliveriesView | undefined>(undefined);
  const seenVersion = useRef<number>(browser.dataVersion());
  const [view, setView] = useState<DeliveriesView>(() => {
    const query = { status: options.status, filter: options.filter ?? "" };
    const first = load(browser, query, { topId: null, selectedId: null }, height, { version: 0 });
    latest.current = first;
    return first;
  });
  const [now, setNow] = useState(clock);

  const commit = useCallback((next: DeliveriesView) => {
    latest.current = next;
    setView(next);
  }, []);

  const reload = useCallback(() => {
    const { query, window, version } = read(latest);
    commit(load(browser, query, window, height, { version: version + 1 }));
  }, [browser, height, commit]);

  // A new height (resize) keeps the cursor and re-windows around it.
  const heightRef = useRef(height);
  useEffect(() => {
    if (heightRef.current === height) return;
    heightRef.current = height;
    const { query, window, counts, matching, version } = read(latest);
    commit(load(browser, query, window, height, { counts, matching, version }));
  }, [browser, height, commit]);

  useEffect(() => {
    const timer = setInterval(() => {
      const version = browser.dataVersion();
      if (version !== seenVersion.current) {
        seenVersion.current = version;
        reload();
      }
      setNow(clock());
    }, pollMs);
    return () => clearInterval(timer);
  }, [browser, pollMs, clock, reload]);

  return {
    view,
    now,
    move(how) {
      const { query, window, counts, matching, version } = read(latest);
      const position = move(browser, query, window, how, height);
      commit(load(browser, query, position, height, { counts, matching, version }));
    },
    setStatus(status) {
      const { query, counts, version } = read(latest);
      const next = { ...query, status };
      commit(load(browser, next, { topId: null, selectedId: null }, height, { counts, version }));
    },
    setFilter(filter) {
      const { query, counts, version } = read(latest);
      if ((query.filter ?? "") === filter) return;
      const next = { ...query, filter };
      commit(load(browser, next, { topId: null, selectedId: null }, height, { counts, version }));
    },
    refresh() {
      setNow(clock());
      reload();
    },
  };
}
