import { render } from "ink-testing-library";
import type { ReactElement } from "react";

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is stripped
const ansi = /\u001B\[[0-9;?]*[A-Za-z]/g;

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A rendered Ink tree with helpers to type keys and wait for frames (never fixed sleeps). */
export function mount(tree: ReactElement) {
  const instance = render(tree);
  const frame = () => (instance.lastFrame() ?? "").replace(ansi, "");
  return {
    ...instance,
    frame,
    /** Wait until the latest frame satisfies `check` (a substring, regex or predicate). */
    async waitForFrame(
      check: string | RegExp | ((frame: string) => boolean),
      timeoutMs = 5000,
    ): Promise<string> {
      const test =
        typeof check === "string"
          ? (text: string) => text.includes(check)
          : check instanceof RegExp
            ? (text: string) => check.test(text)
            : check;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = frame();
        if (test(text)) return text;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${String(check)}; last frame:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    /** Type keys one at a time, letting Ink process each (its input listener attaches in an effect). */
    async press(...keys: string[]): Promise<void> {
      for (const key of keys) {
        // Let React run the effects of the last render (a just-mounted dialog subscribes to keys
        // in one), as a person's keystrokes would; then type, and give a lone Esc the tick Ink
        // waits before taking it as Esc rather than the start of a sequence.
        await tick();
        instance.stdin.write(key);
        await tick();
      }
    },
  };
}
