import type { Key } from "ink";

/**
 * Terminal input to (input, key) pairs, for the few keys `inspect` uses. Ink splits raw input
 * into events (a run of text, or one escape sequence); Ink's own decoder throws on some
 * sequences (`ESC [ 3 1 m` pasted, `ESC [ 0 n` from a terminal's status reply) and hands other
 * unknown ones to the app as typed text. This one never throws, and drops any sequence it does
 * not know, so a stray reply never reaches the filter as text.
 */

const noKey: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

type Named =
  | "upArrow"
  | "downArrow"
  | "leftArrow"
  | "rightArrow"
  | "home"
  | "end"
  | "pageUp"
  | "pageDown"
  | "delete";

/** CSI/SS3 final letters: ESC [ A, ESC O A, ESC [ 1 ; 5 A … */
const byFinal: Record<string, Named> = {
  A: "upArrow",
  B: "downArrow",
  C: "rightArrow",
  D: "leftArrow",
  H: "home",
  F: "end",
};

/** ESC [ n ~ */
const byNumber: Record<string, Named> = {
  "1": "home",
  "7": "home",
  "4": "end",
  "8": "end",
  "3": "delete",
  "5": "pageUp",
  "6": "pageDown",
};

export interface KeyPress {
  input: string;
  key: Key;
}

function press(input: string, flags: Partial<Key> = {}): KeyPress {
  return { input, key: { ...noKey, ...flags } };
}

/** xterm's modifier parameter (1 + shift 1, alt 2, ctrl 4) as key flags. */
function modifiers(param: string | undefined): Partial<Key> {
  const bits = Number(param ?? "1") - 1;
  if (!Number.isInteger(bits) || bits < 0) return {};
  return { shift: (bits & 1) !== 0, meta: (bits & 2) !== 0, ctrl: (bits & 4) !== 0 };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is parsed
const csi = /^\u001b\[([0-9;:<=>?]*)([\u0020-\u002f]*)([\u0040-\u007e])$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is parsed
const ss3 = /^\u001bO([\u0040-\u007e])$/;

const embeddedSequence =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is removed
  /\u001b(?:\[[0-9;:<=>?]*[\u0020-\u002f]*[\u0040-\u007e]?|O[\u0040-\u007e]?|[\s\S])?/g;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const controlChar = /[\u0000-\u001f\u007f-\u009f]/;

function controlSequence(data: string): KeyPress | undefined {
  const csiMatch = csi.exec(data);
  if (csiMatch) {
    const [, params = "", intermediates = "", final = ""] = csiMatch;
    // Private (`<`, `?`: mouse, device replies) and intermediate-byte sequences are never keys.
    if (intermediates !== "" || /[<=>?]/.test(params)) return undefined;
    const [first, second] = params.split(";");
    if (final === "Z") return press("", { tab: true, shift: true });
    if (final === "~") {
      const name = byNumber[first ?? ""];
      return name ? press("", { [name]: true, ...modifiers(second) }) : undefined;
    }
    const name = byFinal[final];
    return name && (params === "" || first === "1")
      ? press("", { [name]: true, ...modifiers(second) })
      : undefined;
  }
  const ss3Match = ss3.exec(data);
  if (ss3Match) {
    const final = ss3Match[1] ?? "";
    if (final === "M") return press("", { return: true });
    const name = byFinal[final];
    return name ? press("", { [name]: true }) : undefined;
  }
  return undefined;
}

function singleControl(char: string): KeyPress | undefined {
  const code = char.charCodeAt(0);
  if (char === "\r" || char === "\n") return press("", { return: true });
  if (char === "\t") return press("", { tab: true });
  if (char === "\u007f" || char === "\b") return press("", { backspace: true });
  // Ctrl+A … Ctrl+Z arrive as 1 … 26: the letter, with ctrl.
  if (code >= 1 && code <= 26) return press(String.fromCharCode(code + 96), { ctrl: true });
  return undefined;
}

/** One input event as Ink delivers it; undefined for anything that is not a key inspect knows. */
export function parseKey(data: string): KeyPress | undefined {
  if (data === "") return undefined;
  if (data === "\u001b" || data === "\u001b\u001b") return press("", { escape: true, meta: true });
  if (data.startsWith("\u001b\u001b")) {
    const inner = controlSequence(data.slice(1));
    return inner ? { input: inner.input, key: { ...inner.key, meta: true } } : undefined;
  }
  if (data.startsWith("\u001b")) {
    const sequence = controlSequence(data);
    if (sequence) return sequence;
    // Alt+letter: ESC then one printable character.
    const rest = data.slice(1);
    return [...rest].length === 1 && !controlChar.test(rest) ? press(rest, { meta: true }) : undefined;
  }
  if ([...data].length === 1) {
    const control = singleControl(data);
    if (control) return control;
    if (controlChar.test(data)) return undefined;
    return press(data, { shift: /[A-Z]/.test(data) });
  }
  // Text typed faster than it is read, or pasted: passed on whole, as Ink does, less any escape
  // sequence inside it (Ink splits them off; this decoder does not count on it).
  const text = data.replace(embeddedSequence, "");
  return text === "" ? undefined : press(text);
}
