import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openDb } from "../../src/store/open.js";
import { App } from "../../src/tui/App.js";
import { createInspectStore } from "../../src/tui/inspect-store.js";
import { parseKey } from "../../src/tui/key-input.js";
import { KEY } from "../../src/tui/keys.js";
import { tempDb } from "../helpers/tmp.js";
import { mount } from "./harness.js";
import { seedDead, seedNow } from "./seed.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** What terminals send, what pastes carry, and what neither should (but might). */
const finalByte = fc.integer({ min: 0x40, max: 0x7e }).map((code) => String.fromCharCode(code));
const csi = fc
  .tuple(fc.stringMatching(/^[0-9;:<=>?]{0,8}$/), fc.stringMatching(/^[ -/]{0,2}$/), finalByte)
  .map(([params, intermediates, final]) => `\u001b[${params}${intermediates}${final}`);
const ss3 = finalByte.map((final) => `\u001bO${final}`);
const alt = fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).map((char) => `\u001b${char}`);
const control = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
const keys = fc.constantFrom(
  ...Object.values(KEY),
  "j",
  "k",
  "g",
  "G",
  "/",
  "?",
  "r",
  "d",
  "n",
  "y",
  "q",
  "\u0003",
);
const reported = fc.constantFrom(
  "\u001b[31m",
  "\u001b[0n",
  "\u001b[1;5P",
  "\u001b[I",
  "\u001b[24;80R",
  "\u001b[<0;1;1M",
);
const text = fc.string({ unit: "binary", maxLength: 6 });
const event = fc.oneof(keys, keys, csi, ss3, alt, control, reported, text);

describe("parseKey", () => {
  it("never throws, and never passes an escape sequence on as text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          event,
          fc.array(event, { maxLength: 4 }).map((parts) => parts.join("")),
        ),
        (data) => {
          const pressed = parseKey(data);
          if (pressed === undefined) return;
          expect(typeof pressed.input).toBe("string");
          expect(pressed.input).not.toContain("\u001b");
          for (const flag of Object.values(pressed.key)) expect(typeof flag).toBe("boolean");
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("decodes the keys inspect uses", () => {
    const flagsOf = (data: string) => {
      const pressed = parseKey(data);
      const on = Object.entries(pressed?.key ?? {})
        .filter(([, value]) => value === true)
        .map(([name]) => name);
      return { input: pressed?.input, on };
    };
    expect(flagsOf(KEY.up)).toEqual({ input: "", on: ["upArrow"] });
    expect(flagsOf("\u001bOB")).toEqual({ input: "", on: ["downArrow"] });
    expect(flagsOf(KEY.pageUp)).toEqual({ input: "", on: ["pageUp"] });
    expect(flagsOf(KEY.pageDown)).toEqual({ input: "", on: ["pageDown"] });
    expect(flagsOf(KEY.home)).toEqual({ input: "", on: ["home"] });
    expect(flagsOf("\u001b[4~")).toEqual({ input: "", on: ["end"] });
    expect(flagsOf(KEY.enter)).toEqual({ input: "", on: ["return"] });
    expect(flagsOf(KEY.escape)).toEqual({ input: "", on: ["escape", "meta"] });
    expect(flagsOf(KEY.tab)).toEqual({ input: "", on: ["tab"] });
    expect(flagsOf(KEY.shiftTab)).toEqual({ input: "", on: ["shift", "tab"] });
    expect(flagsOf(KEY.backspace)).toEqual({ input: "", on: ["backspace"] });
    expect(flagsOf("\u001b[3~")).toEqual({ input: "", on: ["delete"] });
    expect(flagsOf("\u0003")).toEqual({ input: "c", on: ["ctrl"] });
    expect(flagsOf("\u001b[1;5A")).toEqual({ input: "", on: ["upArrow", "ctrl"] });
    expect(flagsOf("G")).toEqual({ input: "G", on: ["shift"] });
    expect(flagsOf("order.created")).toEqual({ input: "order.created", on: [] });
  });

  it("drops sequences that are not keys: colours, status and cursor reports, focus, mouse, F-keys", () => {
    for (const data of [
      "\u001b[31m",
      "\u001b[0n",
      "\u001b[5n",
      "\u001b[24;80R",
      "\u001b[I",
      "\u001b[O",
      "\u001b[<0;10;20M",
      "\u001b[?62;1;4c",
      "\u001b[1;5P",
      "\u001bOP",
      "\u001b[200~",
      "\u0000",
    ])
      expect(parseKey(data), JSON.stringify(data)).toBeUndefined();
  });
});

/** The app over a temp log with a few dead letters; q and Ctrl+C call a spy instead of exiting. */
async function start() {
  const db = openDb(tempDb());
  seedDead(db, 5);
  const app = mount(
    <App
      store={createInspectStore(db, () => seedNow)}
      now={() => seedNow}
      rows={20}
      columns={100}
      color={false}
      pollMs={25}
      onQuit={vi.fn()}
    />,
  );
  cleanups.push(() => {
    app.unmount();
    db.close();
  });
  await app.waitForFrame("q quit");
  return app;
}

/** A frame of the app still running: a footer, no error overview. */
function healthy(frame: string): boolean {
  return /quit|yes|apply/.test(frame) && !/ERROR|TypeError|\n\s+at /.test(frame);
}

describe("inspect under hostile input", () => {
  it("survives the escape sequences that used to kill it, typed or pasted", async () => {
    const app = await start();
    for (const data of ["\u001b[31m", "\u001b[0n", "\u001b[1;5P", "x\u001b[31my", "\u001b[31m\u001b[0n"]) {
      await app.press(data);
      await app.press("/", data, KEY.enter);
      expect(healthy(app.frame()), JSON.stringify(data)).toBe(true);
    }
  });

  it("terminal replies and colour codes never end up in the filter as text", async () => {
    const app = await start();
    await app.press("/", "\u001b[I", "ord", "\u001b[24;80R", "\u001b[31m", "er", "\u001b[0n", KEY.enter);
    await app.waitForFrame((frame) => /^\/order +5 matching/m.test(frame));
  });

  it("any mix of keys, sequences, control bytes and text leaves it running", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 12 }), async (events) => {
        const app = await start();
        for (const data of events) await app.press(data);
        // Leave any dialog or the filter, then prove it still answers keys.
        await app.press(KEY.escape, KEY.escape, "n", KEY.escape);
        const frame = await app.waitForFrame(healthy);
        expect(frame).not.toContain("\u001b");
      }),
      { numRuns: 25 },
    );
  });
});
