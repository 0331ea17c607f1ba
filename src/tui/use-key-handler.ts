import { type Key, useStdin } from "ink";
import { useLayoutEffect, useRef } from "react";
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
  // Raw mode is what makes Ink read stdin: a key typed before a passive effect ran would wait
  // unread for the next one.
  useLayoutEffect(() => {
    setRawMode(true);
    return () => setRawMode(false);
  }, [setRawMode]);
  // Subscribed as the component is committed, not in a passive effect, which can run after the
  // next key: "/" then a fast "x" (a busy event loop, a network backend's answers) lost the x.
  useLayoutEffect(() => {
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
