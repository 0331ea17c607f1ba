import { type Key, useStdin } from "ink";
import { useEffect, useLayoutEffect, useRef } from "react";
import { parseKey } from "./key-input.js";

/**
 * Ink's `useInput`, with hookctl's own decoder ({@link parseKey}): Ink's throws on some escape
 * sequences a terminal sends or a paste carries, which took `inspect` down with a stack trace.
 * The handler is subscribed once and always sees the latest render's state: a key arriving
 * between a render and a passive effect would otherwise reach the previous handler.
 */
export function useKeyHandler(handler: (input: string, key: Key) => void): void {
  const latest = useRef(handler);
  useLayoutEffect(() => {
    latest.current = handler;
  });
  const { setRawMode, internal_eventEmitter: events } = useStdin();
  useEffect(() => {
    setRawMode(true);
    return () => setRawMode(false);
  }, [setRawMode]);
  useEffect(() => {
    // Ink emits each key (or run of typed text) as one event; React batches the updates it causes.
    const onInput = (data: unknown) => {
      const pressed = typeof data === "string" ? parseKey(data) : undefined;
      if (pressed) latest.current(pressed.input, pressed.key);
    };
    events.on("input", onInput);
    return () => {
      events.off("input", onInput);
    };
  }, [events]);
}
