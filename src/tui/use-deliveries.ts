import { useCallback, useEffect, useRef, useState } from "react";
import type { BrowseCounts, BrowseQuery, BrowseStatus } from "../store/browse.js";
import { type Answer, type BrowsePort, isPending } from "../store/ports/browse.js";
import type { InspectStore } from "./inspect-store.js";
import { type ListPosition, type ListWindow, type Move, moveReads, settleReads } from "./list-window.js";
import { ask, type Reads, runReads } from "./reads.js";

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
  /** The rows are being read for this query (a network backend); the ones shown are older. */
  loading?: boolean;
  /** The last read failed (the server went away): what went wrong; the rows are the last read. */
  error?: string;
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

type Kept = Pick<DeliveriesView, "counts" | "matching" | "version">;

function* loadReads(
  query: BrowseQuery,
  position: ListPosition,
  height: number,
  previous: Partial<Kept> & { version: number },
): Reads<DeliveriesView> {
  const filtered = (query.filter ?? "").trim() !== "";
  const window = yield* settleReads(query, position, height);
  const counts = previous.counts ?? (yield* ask((browser) => browser.counts()));
  const matching = filtered
    ? (previous.matching ?? (yield* ask((browser) => browser.countMatching(query, matchCap))))
    : undefined;
  return { query, window, counts, matching, version: previous.version };
}

const topOfList: ListPosition = { topId: null, selectedId: null };
const noCounts: BrowseCounts = { dead: 0, pending: 0, in_flight: 0, succeeded: 0, all: 0 };

/** What shows until a network backend's first answer. */
function placeholder(query: BrowseQuery): DeliveriesView {
  const window = { ...topOfList, rows: [], hasNewer: false, hasOlder: false };
  return { query, window, counts: noCounts, matching: undefined, version: 0, loading: true };
}

function read(ref: { current: DeliveriesView | undefined }): DeliveriesView {
  return ref.current as DeliveriesView;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The list state behind the app: which tab and filter, which rows are visible, where the cursor
 * is. Each change is one `Reads` run: on SQLite it answers at once and is committed as one
 * render, as before; on PostgreSQL it is awaited while keys keep working. Moves and reloads
 * build on the newest pending answer (three quick ↓ go three rows down); a new tab or filter
 * starts afresh, and whatever an older read answers after it is dropped. A timer polls the
 * log's change mark, one cheap read, and reloads only when someone wrote to the log.
 */
export function useDeliveries(store: InspectStore, options: UseDeliveriesOptions): Deliveries {
  const { browser } = store;
  const { height, pollMs, now: clock } = options;
  const latest = useRef<DeliveriesView | undefined>(undefined);
  const mark = useRef<Answer<string | number> | undefined>(undefined);
  // The first answer still to come, taken over by the mount effect below.
  const first = useRef<Promise<DeliveriesView> | undefined>(undefined);
  const [view, setView] = useState<DeliveriesView>(() => {
    const seen = browser.changeMark();
    // A network backend's mark may be read after the first load: compare from the first poll.
    mark.current = isPending(seen) ? undefined : seen;
    if (isPending(seen)) seen.catch(() => {});
    const query = { status: options.status, filter: options.filter ?? "" };
    const answer = runReads(loadReads(query, topOfList, height, { version: 0 }), browser);
    if (isPending(answer)) first.current = answer;
    latest.current = isPending(answer) ? placeholder(query) : answer;
    return latest.current;
  });
  const [now, setNow] = useState(clock);
  const loads = useLoads(browser, latest, setView, mark);

  // biome-ignore lint/correctness/useExhaustiveDependencies: once, for the first answer only
  useEffect(() => {
    const answer = first.current;
    first.current = undefined;
    if (answer) loads.track(answer, "replace");
  }, []);

  const reload = useCallback(() => {
    loads.start((base) => loadReads(base.query, base.window, height, { version: base.version + 1 }), "chain");
  }, [loads, height]);

  // A new height (resize) keeps the cursor and re-windows around it.
  const heightRef = useRef(height);
  useEffect(() => {
    if (heightRef.current === height) return;
    heightRef.current = height;
    loads.start((base) => loadReads(base.query, base.window, height, base), "chain");
  }, [loads, height]);

  useEffect(() => {
    let polling = false;
    const changed = (seen: string | number) => {
      if (seen === mark.current) return;
      mark.current = seen;
      reload();
    };
    const timer = setInterval(() => {
      if (!polling) {
        const seen = browser.changeMark();
        if (!isPending(seen)) changed(seen);
        else {
          // One poll at a time: a slow server is not asked again before it answers.
          polling = true;
          seen
            .then(changed, (error: unknown) => loads.fail(error))
            .finally(() => {
              polling = false;
            });
        }
      }
      setNow(clock());
    }, pollMs);
    return () => clearInterval(timer);
  }, [browser, pollMs, clock, reload, loads]);

  /** A new tab or filter: from the newest row, dropping what older reads still answer. */
  const restart = (query: BrowseQuery) =>
    loads.start(
      (base) => loadReads(query, topOfList, height, { counts: base.counts, version: base.version }),
      {
        query,
      },
    );

  return {
    view,
    now,
    move(how) {
      loads.start(function* (base) {
        const position = yield* moveReads(base.query, base.window, how, height);
        return yield* loadReads(base.query, position, height, base);
      }, "chain");
    },
    setStatus(status) {
      restart({ ...read(latest).query, status });
    },
    setFilter(filter) {
      const current = read(latest).query;
      if ((current.filter ?? "") !== filter) restart({ ...current, filter });
    },
    refresh() {
      setNow(clock());
      reload();
    },
  };
}

/** "chain": builds on the newest pending answer; a new query: starts afresh from what is shown. */
type LoadKind = "chain" | "replace" | { query: BrowseQuery };

interface Loads {
  start(reads: (base: DeliveriesView) => Reads<DeliveriesView>, kind: LoadKind): void;
  track(answer: Promise<DeliveriesView>, kind: LoadKind): void;
  /** A read failed: keep the rows, say why, and reload on the next poll. */
  fail(error: unknown): void;
}

function useLoads(
  browser: BrowsePort,
  latest: { current: DeliveriesView | undefined },
  setView: (view: DeliveriesView) => void,
  mark: { current: Answer<string | number> | undefined },
): Loads {
  const state = useRef({
    ticket: 0,
    freshFrom: 0,
    committed: 0,
    newest: undefined as Promise<unknown> | undefined,
  });
  const [loads] = useState<Loads>(() => {
    const commit = (next: DeliveriesView) => {
      latest.current = next;
      setView(next);
    };
    const fail = (error: unknown) => {
      mark.current = undefined;
      commit({ ...read(latest), loading: false, error: messageOf(error) });
    };
    const track = (answer: Promise<DeliveriesView>, kind: LoadKind) => {
      const own = state.current;
      const ticket = ++own.ticket;
      if (kind !== "chain") own.freshFrom = ticket;
      own.newest = answer;
      // Say at once which query is coming (the tab, the filter text), keeping the rows shown.
      if (typeof kind === "object")
        commit({ ...read(latest), query: kind.query, matching: undefined, loading: true });
      const current = () => ticket >= own.freshFrom && ticket > own.committed;
      answer.then(
        (next) => {
          if (!current()) return;
          own.committed = ticket;
          commit(next);
        },
        (error: unknown) => {
          if (current()) fail(error);
        },
      );
    };
    return {
      track,
      fail,
      start(reads, kind) {
        const pending = kind === "chain" ? state.current.newest : undefined;
        const answer = pending
          ? pending.then(
              () => read(latest),
              () => read(latest),
            )
          : undefined;
        const next = answer
          ? answer.then((base) => runReads(reads(base), browser))
          : runReads(reads(read(latest)), browser);
        if (!isPending(next)) {
          state.current.committed = ++state.current.ticket;
          state.current.newest = undefined;
          commit(next);
        } else track(next, kind);
      },
    };
  });
  return loads;
}
