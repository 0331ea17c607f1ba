import { type Key, useInput } from "ink";
import { useCallback, useLayoutEffect, useRef } from "react";

/**
 * `useInput` with a handler that is subscribed once and always sees the latest render's state.
 * Ink re-subscribes whenever the handler changes, in a passive effect: a key arriving between a
 * render and that effect would reach the previous handler and act on stale state.
 */
export function useKeyHandler(handler: (input: string, key: Key) => void): void {
  const latest = useRef(handler);
  useLayoutEffect(() => {
    latest.current = handler;
  });
  const stable = useCallback((input: string, key: Key) => latest.current(input, key), []);
  useInput(stable);
}
