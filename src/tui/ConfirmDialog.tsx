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
  /** Listen for y/n only while shown on top. */
  active?: boolean;
}

/** A yes/no question in a box: y or Enter confirms, n or Esc cancels; nothing else does anything. */
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
    const action = actionFor("confirm", input, key);
    if (action === "confirm") onConfirm();
    else if (action === "cancel") onCancel();
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
        /Enter yes{"   "}
        <Text bold color={theme.accent}>
          n
        </Text>
        /Esc no
      </Text>
    </Box>
  );
}
