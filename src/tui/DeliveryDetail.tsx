import { Box, Text } from "ink";
import { useMemo } from "react";
import { type DeliveryDetailData, type DetailLine, detailLines, type Tone } from "./detail-lines.js";
import { type Theme, useTheme } from "./theme.js";

export interface DeliveryDetailProps {
  /** Undefined when the delivery is gone (purged by another process), or still being read. */
  detail: DeliveryDetailData | undefined;
  /** Being read (a network backend): nothing to show yet. */
  loading?: boolean;
  width: number;
  /** Lines available, including the title and the position line. */
  height: number;
  /** First body line shown; clamped here, so callers may overshoot. */
  scroll: number;
  now: number;
}

/** Lines of body that clip under the title and above the position line. */
export function detailBodyHeight(height: number): number {
  return Math.max(1, height - 2);
}

/** One delivery: summary, masked request headers, body, attempt timeline; scrolls by line. */
export function DeliveryDetail({ detail, loading, width, height, scroll, now }: DeliveryDetailProps) {
  const theme = useTheme();
  const lines = useMemo(() => (detail ? detailLines(detail, { width, now }) : []), [detail, width, now]);
  if (!detail) {
    return (
      <Box width={width} height={height}>
        <Text>
          {loading
            ? "Reading the delivery…"
            : "This delivery is gone (purged by another process?). Esc goes back."}
        </Text>
      </Box>
    );
  }
  const bodyHeight = detailBodyHeight(height);
  const top = Math.max(0, Math.min(scroll, lines.length - bodyHeight));
  const visible = lines.slice(top, top + bodyHeight);
  const end = Math.min(lines.length, top + bodyHeight);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate" color={theme.status[detail.delivery.status]}>
        {detail.event.type} → {detail.delivery.endpoint ?? detail.delivery.url}
      </Text>
      <Box flexDirection="column" height={bodyHeight}>
        {visible.map((line, index) => (
          // Lines are positional: the same index is the same screen row.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          <LineView key={index} line={line} theme={theme} />
        ))}
      </Box>
      <Text dimColor={theme.dim} wrap="truncate">
        {lines.length > bodyHeight ? `lines ${top + 1}-${end} of ${lines.length}  ↑↓ PgUp PgDn scroll` : " "}
      </Text>
    </Box>
  );
}

function toneColor(
  tone: Tone,
  theme: Theme,
): { color?: string | undefined; bold?: boolean; dimColor?: boolean } {
  switch (tone) {
    case "heading":
      return { bold: true, color: theme.accent };
    case "bad":
      return { color: theme.status.dead };
    case "good":
      return { color: theme.status.succeeded };
    case "warn":
      return { color: theme.warn };
    case "dim":
      return { dimColor: theme.dim };
    default:
      return {};
  }
}

function LineView({ line, theme }: { line: DetailLine; theme: Theme }) {
  return (
    <Text wrap="truncate" {...toneColor(line.tone, theme)}>
      {line.text === "" ? " " : line.text}
    </Text>
  );
}
