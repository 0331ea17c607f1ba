import { createContext, useContext } from "react";
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
