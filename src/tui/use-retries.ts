import { useEffect, useRef, useState } from "react";
import type { FooterProps } from "./Footer.js";
import { shortId } from "./format.js";
import type { ActionResult, InspectStore } from "./inspect-store.js";

export interface Retries {
  /** The status line while something is being sent, if anything is. */
  sendingLine: FooterProps["message"];
  /** Send `id` now in the background; ignored while that delivery is still being sent. */
  retry(id: string | null): void;
}

/**
 * `r`: the store requeues, claims and sends; keys keep working meanwhile. `changed` runs once the
 * claim is written (at once) and again with the result, unless the app has gone.
 */
export function useRetries(store: InspectStore, changed: (result?: ActionResult) => void): Retries {
  const [sending, setSending] = useState<ReadonlySet<string>>(() => new Set());
  const inFlight = useRef(new Set<string>());
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  return {
    sendingLine:
      sending.size === 0
        ? undefined
        : { text: `sending ${[...sending].map(shortId).join(", ")}…`, tone: "info" },
    retry(id) {
      if (id === null || inFlight.current.has(id)) return;
      inFlight.current.add(id);
      setSending(new Set(inFlight.current));
      const done = store.retryNow(id);
      changed();
      void done.then((result) => {
        inFlight.current.delete(id);
        if (!mounted.current) return;
        setSending(new Set(inFlight.current));
        changed(result);
      });
    },
  };
}
