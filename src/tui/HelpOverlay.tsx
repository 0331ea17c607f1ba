import { Box, Text } from "ink";
import { helpEntries } from "./keys.js";
import { useTheme } from "./theme.js";

export interface HelpOverlayProps {
  width: number;
  height: number;
}

/** Every key and what it does, in place of the list; more than fits is cut, never wrapped. */
export function HelpOverlay({ width, height }: HelpOverlayProps) {
  const theme = useTheme();
  const entries = helpEntries();
  const labelWidth = Math.max(...entries.map((entry) => entry.label.length)) + 2;
  const visible = entries.slice(0, Math.max(0, height - 2));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>Keys</Text>
      {visible.map((entry) => (
        <Text key={`${entry.label}:${entry.help}`} wrap="truncate">
          {"  "}
          <Text color={theme.accent}>{entry.label.padEnd(labelWidth)}</Text>
          {entry.help}
        </Text>
      ))}
      {visible.length < entries.length ? (
        <Text dimColor={theme.dim}> … enlarge the terminal for the rest</Text>
      ) : null}
    </Box>
  );
}
