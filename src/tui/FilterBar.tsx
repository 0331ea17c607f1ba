import { Box, Text } from "ink";
import { useRef } from "react";
import { thousands } from "./format.js";
import { useTheme } from "./theme.js";
import { useKeyHandler } from "./use-key-handler.js";

export interface FilterBarProps {
  value: string;
  /** Typing goes here while editing; otherwise the bar just shows the filter in force. */
  editing: boolean;
  width: number;
  matching?: { count: number; capped: boolean } | undefined;
  onChange: (value: string) => void;
  /** Enter: keep the filter and go back to the list. */
  onSubmit: (value: string) => void;
  /** Esc: drop the edit. */
  onCancel: () => void;
}

/** `/`-style filter line: typed text filters as you type (event type, URL, endpoint or id). */
export function FilterBar({ value, editing, width, matching, onChange, onSubmit, onCancel }: FilterBarProps) {
  const theme = useTheme();
  // Keys can arrive faster than renders: edit the latest text, not the last rendered one.
  const latest = useRef(value);
  latest.current = value;
  const change = (next: string) => {
    latest.current = next;
    onChange(next);
  };
  useKeyHandler((input, key) => {
    if (!editing) return;
    if (key.return || input === "\n") onSubmit(latest.current);
    else if (key.escape) onCancel();
    else if (key.backspace || key.delete) change(latest.current.slice(0, -1));
    else if (key.ctrl && input === "u") change("");
    else if (!key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow && input !== "") {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: pasted control characters are dropped
      change(latest.current + input.replace(/[\u0000-\u001F\u007F]/g, ""));
    }
  });
  const count = matching ? `${thousands(matching.count)}${matching.capped ? "+" : ""} matching` : "";
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate">
        <Text bold color={theme.accent}>
          /
        </Text>
        {value}
        {editing ? <Text inverse> </Text> : null}
        {count ? <Text dimColor={theme.dim}>{`  ${count}`}</Text> : null}
        {!editing ? <Text dimColor={theme.dim}>{"  (/ edit, Esc clear)"}</Text> : null}
      </Text>
    </Box>
  );
}
