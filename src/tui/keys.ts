import type { Key } from "ink";

/**
 * Every key `inspect` understands, in one table: the input handler dispatches from it and the
 * footer and help overlay print from it, so what is shown is what works.
 */

/** The screens the app can be on; each has its own keys. */
export type Mode = "list" | "detail" | "filter" | "confirm" | "help";

export type Action =
  | "up"
  | "down"
  | "pageUp"
  | "pageDown"
  | "top"
  | "bottom"
  | "open"
  | "back"
  | "nextTab"
  | "prevTab"
  | "filter"
  | "clearFilter"
  | "retry"
  | "requeue"
  | "purge"
  | "help"
  | "quit"
  | "confirm"
  | "cancel";

/** Raw terminal input for each key, for tests and benches that type into the app. */
export const KEY = {
  up: "\u001B[A",
  down: "\u001B[B",
  pageUp: "\u001B[5~",
  pageDown: "\u001B[6~",
  home: "\u001B[H",
  end: "\u001B[F",
  enter: "\r",
  escape: "\u001B",
  tab: "\t",
  shiftTab: "\u001B[Z",
  backspace: "\u007F",
} as const;

interface Binding {
  action: Action;
  /** How the footer and help name the key. */
  label: string;
  /** What it does, for the help overlay. */
  help: string;
  /** The short word the footer shows. */
  short: string;
  modes: readonly Mode[];
  match: (input: string, key: Key) => boolean;
  /** Shown in the footer (the rest are only in the help overlay). */
  footer: boolean;
}

const browsing: readonly Mode[] = ["list", "detail"];
const isEnter = (input: string, key: Key) => key.return || input === "\n";
const isYes = (input: string) => input === "y" || input === "Y";

export const bindings: readonly Binding[] = [
  {
    action: "up",
    label: "↑/k",
    short: "up",
    help: "move up (scroll in the detail)",
    modes: browsing,
    footer: false,
    match: (input, key) => key.upArrow || input === "k",
  },
  {
    action: "down",
    label: "↓/j",
    short: "move",
    help: "move down (scroll in the detail)",
    modes: browsing,
    footer: true,
    match: (input, key) => key.downArrow || input === "j",
  },
  {
    action: "pageUp",
    label: "PgUp",
    short: "page up",
    help: "one page up",
    modes: browsing,
    footer: false,
    match: (_input, key) => key.pageUp,
  },
  {
    action: "pageDown",
    label: "PgDn",
    short: "page",
    help: "one page down",
    modes: browsing,
    footer: false,
    match: (_input, key) => key.pageDown,
  },
  {
    action: "top",
    label: "g",
    short: "top",
    help: "newest (top)",
    modes: browsing,
    footer: false,
    match: (input, key) => input === "g" || key.home,
  },
  {
    action: "bottom",
    label: "G",
    short: "bottom",
    help: "oldest (bottom)",
    modes: browsing,
    footer: false,
    match: (input, key) => input === "G" || key.end,
  },
  {
    action: "open",
    label: "Enter",
    short: "open",
    help: "open the selected delivery",
    modes: ["list"],
    footer: true,
    match: isEnter,
  },
  {
    action: "back",
    label: "Esc",
    short: "back",
    help: "back to the list",
    modes: ["detail", "help"],
    footer: true,
    match: (_input, key) => key.escape,
  },
  {
    action: "nextTab",
    label: "Tab",
    short: "status",
    help: "next status tab (Shift+Tab: previous)",
    modes: ["list"],
    footer: true,
    match: (_input, key) => key.tab && !key.shift,
  },
  {
    action: "prevTab",
    label: "S-Tab",
    short: "prev status",
    help: "previous status tab",
    modes: ["list"],
    footer: false,
    match: (_input, key) => key.tab && key.shift,
  },
  {
    action: "filter",
    label: "/",
    short: "filter",
    help: "filter by event type, URL, endpoint or id",
    modes: ["list"],
    footer: true,
    match: (input) => input === "/",
  },
  {
    action: "clearFilter",
    label: "Esc",
    short: "clear filter",
    help: "clear the filter",
    modes: ["list"],
    footer: false,
    match: (_input, key) => key.escape,
  },
  {
    action: "retry",
    label: "r",
    short: "retry",
    help: "retry now: requeue and send at once (as replay <id>); the result shows below",
    modes: browsing,
    footer: true,
    match: (input) => input === "r",
  },
  {
    action: "requeue",
    label: "R",
    short: "requeue",
    help: "requeue only: due now, sent by the next hookctl replay",
    modes: browsing,
    footer: true,
    match: (input) => input === "R",
  },
  {
    action: "purge",
    label: "d",
    short: "purge",
    help: "purge the delivery and its attempts (asks first)",
    modes: browsing,
    footer: true,
    match: (input) => input === "d",
  },
  {
    action: "help",
    label: "?",
    short: "help",
    help: "show or hide this help",
    modes: ["list", "detail", "help"],
    footer: true,
    match: (input) => input === "?",
  },
  {
    action: "quit",
    label: "q",
    short: "quit",
    help: "quit",
    modes: ["list", "detail", "help"],
    footer: true,
    match: (input) => input === "q",
  },
  {
    action: "confirm",
    label: "y",
    short: "yes",
    help: "confirm",
    modes: ["confirm"],
    footer: true,
    match: (input) => isYes(input),
  },
  {
    // Enter too: it means "open" one screen earlier, so it must never confirm a deletion.
    action: "cancel",
    label: "any other key",
    short: "no",
    help: "cancel",
    modes: ["confirm"],
    footer: true,
    match: (input) => !isYes(input),
  },
];

/** The action a key press means on this screen, if any. */
export function actionFor(mode: Mode, input: string, key: Key): Action | undefined {
  return bindings.find((binding) => binding.modes.includes(mode) && binding.match(input, key))?.action;
}

/** The keys to list in the footer for a screen. */
export function footerKeys(mode: Mode): { label: string; short: string }[] {
  if (mode === "filter") {
    return [
      { label: "Enter", short: "apply" },
      { label: "Esc", short: "cancel" },
      { label: "Backspace", short: "erase" },
    ];
  }
  const seen = new Set<string>();
  const keys: { label: string; short: string }[] = [];
  for (const binding of bindings) {
    if (!binding.footer || !binding.modes.includes(mode) || seen.has(binding.label)) continue;
    seen.add(binding.label);
    if (binding.action === "down")
      keys.push({ label: "↑↓/jk", short: mode === "detail" ? "scroll" : "move" });
    else keys.push({ label: binding.label, short: binding.short });
  }
  return keys;
}

/** Every binding once, for the help overlay. */
export function helpEntries(): { label: string; help: string }[] {
  return bindings
    .filter((binding) => binding.modes.some((mode) => mode !== "confirm"))
    .map((binding) => ({ label: binding.label, help: binding.help }));
}
