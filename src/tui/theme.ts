import chalk from "chalk";
import { createContext, useContext } from "react";
import type { ColorLevel } from "../format/color.js";
import type { DeliveryStatus } from "../store/types.js";

/** Colour names for Ink's `color` prop; undefined everywhere when colour is off (NO_COLOR). */
export interface Theme {
  status: Record<DeliveryStatus, string | undefined>;
  accent: string | undefined;
  dim: boolean;
  warn: string | undefined;
}

export const colorTheme: Theme = {
  status: { dead: "red", pending: "yellow", in_flight: "cyan", succeeded: "green" },
  accent: "cyan",
  dim: true,
  warn: "yellow",
};

export const plainTheme: Theme = {
  status: { dead: undefined, pending: undefined, in_flight: undefined, succeeded: undefined },
  accent: undefined,
  dim: false,
  warn: undefined,
};

export const ThemeContext = createContext<Theme>(colorTheme);

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

/**
 * Ink paints `color`, `bold` and `dimColor` with chalk's shared instance, which sniffs the terminal
 * itself and ignores NO_COLOR. Give it hookctl's decision instead, so `--no-color`, NO_COLOR and
 * FORCE_COLOR mean the same in `inspect` as in every other command; true when colour is on.
 */
export function inkColor(level: ColorLevel): boolean {
  chalk.level = level;
  return level > 0;
}
