import { Box, Text } from "ink";
import { footerKeys, type Mode } from "./keys.js";
import { useTheme } from "./theme.js";

export interface FooterProps {
  mode: Mode;
  width: number;
  /** A one-line note above the keys: what just happened, or where the cursor is. */
  message?: { text: string; tone?: "ok" | "error" | "info" } | undefined;
}

/** The keys that work on this screen (from the one key table), and a status line. */
export function Footer({ mode, width, message }: FooterProps) {
  const theme = useTheme();
  const keys = footerKeys(mode);
  // Too narrow for "key word" pairs: the keys alone still fit, and ? explains them.
  const compact = keys.reduce((sum, key) => sum + key.label.length + key.short.length + 3, 0) > width;
  const color =
    message?.tone === "error"
      ? theme.status.dead
      : message?.tone === "ok"
        ? theme.status.succeeded
        : undefined;
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Text wrap="truncate" color={color} dimColor={message?.tone === "info" && theme.dim}>
        {message?.text ?? " "}
      </Text>
      <Text wrap="truncate">
        {keys.map((key, index) => (
          <Text key={key.label}>
            {index > 0 ? (compact ? " " : "  ") : ""}
            <Text bold color={theme.accent}>
              {key.label}
            </Text>
            {compact ? "" : ` ${key.short}`}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
