import { Box, Text } from "ink";
import { actionFor } from "./keys.js";
import { useTheme } from "./theme.js";
import { useKeyHandler } from "./use-key-handler.js";

export interface ConfirmDialogProps {
  title: string;
  /** What will happen, one line each. */
  lines: readonly string[];
  width: number;
  onConfirm: () => void;
  onCancel: () => void;
  /** Listen for keys only while shown on top. */
  active?: boolean;
}

/**
 * A yes/no question in a box: only y confirms; any other key (Enter, n, Esc, …) cancels, so a
 * key meant for another screen can never say yes to something that cannot be undone.
 */
export function ConfirmDialog({
  title,
  lines,
  width,
  onConfirm,
  onCancel,
  active = true,
}: ConfirmDialogProps) {
  const theme = useTheme();
  useKeyHandler((input, key) => {
    if (!active) return;
    if (actionFor("confirm", input, key) === "confirm") onConfirm();
    else onCancel();
  });
  const boxWidth = Math.min(width, Math.max(40, Math.min(72, width - 4)));
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.warn} paddingX={1} width={boxWidth}>
      <Text bold wrap="truncate">
        {title}
      </Text>
      {lines.map((line) => (
        <Text key={line}>{line}</Text>
      ))}
      <Text>
        <Text bold color={theme.accent}>
          y
        </Text>
        {" yes   any other key no"}
      </Text>
    </Box>
  );
}
