import { useMemo, useState } from "react";
import { detailBodyHeight } from "./DeliveryDetail.js";
import { type DeliveryDetailData, detailLines } from "./detail-lines.js";
import type { InspectStore } from "./inspect-store.js";

export interface DetailState {
  detail: DeliveryDetailData | undefined;
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
 * which starts at the top for each newly opened delivery and survives live reloads.
 */
export function useDetail(
  store: InspectStore,
  id: string | null,
  version: number,
  options: UseDetailOptions,
): DetailState {
  const { width, height, now } = options;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the signal to re-read the log
  const detail = useMemo(() => (id ? store.detail(id) : undefined), [store, id, version]);
  const lineCount = useMemo(
    () => (detail ? detailLines(detail, { width, now }).length : 0),
    [detail, width, now],
  );
  const [scroll, setScroll] = useState<{ id: string | null; top: number }>({ id, top: 0 });
  const maxScroll = Math.max(0, lineCount - detailBodyHeight(height));
  const top = Math.min(scroll.id === id ? scroll.top : 0, maxScroll);
  const scrollTo = (line: number) => setScroll({ id, top: Math.max(0, Math.min(maxScroll, line)) });
  return { detail, scroll: top, maxScroll, scrollTo, scrollBy: (lines) => scrollTo(top + lines) };
}
