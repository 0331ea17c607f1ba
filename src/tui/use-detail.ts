import { useEffect, useMemo, useRef, useState } from "react";
import { isPending } from "../store/ports/browse.js";
import { detailBodyHeight } from "./DeliveryDetail.js";
import { type DeliveryDetailData, detailLines } from "./detail-lines.js";
import type { InspectStore } from "./inspect-store.js";

export interface DetailState {
  detail: DeliveryDetailData | undefined;
  /** The delivery is being read (a network backend) and nothing of it is shown yet. */
  loading: boolean;
  scroll: number;
  /** The last line the body can start at. */
  maxScroll: number;
  scrollBy(lines: number): void;
  scrollTo(line: number): void;
}

export interface UseDetailOptions {
  width: number;
  height: number;
  now: number;
}

/**
 * The open delivery, re-read whenever the log changes (`version`), and its scroll position,
 * which starts at the top for each newly opened delivery and survives live reloads. A read that
 * answers later (PostgreSQL) keeps the delivery shown until its new state arrives.
 */
export function useDetail(
  store: InspectStore,
  id: string | null,
  version: number,
  options: UseDetailOptions,
): DetailState {
  const { width, height, now } = options;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the signal to re-read the log
  const answer = useMemo(() => (id ? store.detail(id) : undefined), [store, id, version]);
  const [arrived, setArrived] = useState<{ answer: unknown; detail: DeliveryDetailData | undefined }>();
  useEffect(() => {
    if (!isPending(answer)) return;
    let live = true;
    answer.then(
      (detail) => live && setArrived({ answer, detail }),
      // Unreadable (the server went away): keep what is shown; the next change reads again.
      () => {},
    );
    return () => {
      live = false;
    };
  }, [answer]);
  const shown = useRef<{ id: string | null; detail: DeliveryDetailData | undefined }>({
    id: null,
    detail: undefined,
  });
  let detail: DeliveryDetailData | undefined;
  let loading = false;
  if (!isPending(answer)) detail = answer;
  else if (arrived?.answer === answer) detail = arrived.detail;
  else if (shown.current.id === id) detail = shown.current.detail;
  else loading = true;
  if (!loading) shown.current = { id, detail };
  const lineCount = useMemo(
    () => (detail ? detailLines(detail, { width, now }).length : 0),
    [detail, width, now],
  );
  const [scroll, setScroll] = useState<{ id: string | null; top: number }>({ id, top: 0 });
  const maxScroll = Math.max(0, lineCount - detailBodyHeight(height));
  const top = Math.min(scroll.id === id ? scroll.top : 0, maxScroll);
  const scrollTo = (line: number) => setScroll({ id, top: Math.max(0, Math.min(maxScroll, line)) });
  return { detail, loading, scroll: top, maxScroll, scrollTo, scrollBy: (lines) => scrollTo(top + lines) };
}
